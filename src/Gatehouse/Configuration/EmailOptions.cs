namespace Gatehouse.Configuration;

public enum EmailDelivery { Console, Smtp }

/// <summary><c>Gatehouse:Email</c>: how mail leaves the outbox.</summary>
public sealed class EmailOptions
{
    public const string Section = "Gatehouse:Email";
    public EmailDelivery Delivery { get; set; } = EmailDelivery.Console;
    public string From { get; set; } = "Gatehouse <noreply@localhost>";
    /// <summary>The site name in subjects and bodies; the request's host when empty (as allauth uses the Site).</summary>
    public string? SiteName { get; set; }
    public SmtpOptions Smtp { get; set; } = new();
    public TimeSpan OutboxPollInterval { get; set; } = TimeSpan.FromSeconds(5);
    public int OutboxMaxAttempts { get; set; } = 12;
}

public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 25;
    /// <summary>STARTTLS/implicit TLS as System.Net.Mail does it.</summary>
    public bool EnableSsl { get; set; }
    public string? Username { get; set; }
    public string? Password { get; set; }
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}
