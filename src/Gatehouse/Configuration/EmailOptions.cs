using System.Net.Security;

namespace Gatehouse.Configuration;

public enum EmailDelivery { Console, Smtp }

/// <summary>How the SMTP connection is protected (<c>Gatehouse:Email:Smtp:Security</c>).</summary>
public enum SmtpSecurity
{
    /// <summary>
    /// Implicit TLS on port 465 (RFC 8314); on any other port STARTTLS, required when a username is set
    /// (a password never crosses in clear) and used whenever the server offers it otherwise.
    /// </summary>
    Auto,
    /// <summary>Plain SMTP, never TLS: only for a relay on the same host or in a test.</summary>
    None,
    /// <summary>Connect in plain text, then STARTTLS (RFC 3207); fails if the server does not offer it.</summary>
    StartTls,
    /// <summary>TLS from the first byte ("implicit TLS", SMTPS, usually port 465; RFC 8314).</summary>
    SslOnConnect,
}

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
    /// <summary>
    /// At most one notice ("an account already exists", "no account with this address") per address and
    /// kind within this time: whoever triggers them does not have to control the address, so without it
    /// anyone could flood a mailbox. allauth's ACCOUNT_EMAIL_CONFIRMATION_COOLDOWN default.
    /// </summary>
    public TimeSpan NoticeCooldown { get; set; } = TimeSpan.FromMinutes(3);
    /// <summary>
    /// Security notifications to the account's owner (password changed or reset, address added or removed,
    /// MFA changes): allauth's ACCOUNT_EMAIL_NOTIFICATIONS, which is off there; on here, since a user whose
    /// account was taken over learns it only this way.
    /// </summary>
    public bool Notifications { get; set; } = true;
}

public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 25;
    /// <summary>
    /// What protects the connection. When not set, <see cref="EnableSsl"/> decides as it always did
    /// (true: STARTTLS, false: plain); when neither is set, <see cref="SmtpSecurity.Auto"/>.
    /// </summary>
    public SmtpSecurity? Security { get; set; }
    /// <summary>The older switch, kept for existing configurations: true is STARTTLS (what System.Net.Mail did), false plain SMTP.</summary>
    public bool? EnableSsl { get; set; }
    public string? Username { get; set; }
    public string? Password { get; set; }
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>
    /// Set in code only (not bound from configuration): decides on the server's TLS certificate instead of
    /// the system's trust store, e.g. to pin the certificate of an internal relay. Null: the system decides.
    /// </summary>
    public RemoteCertificateValidationCallback? ServerCertificateValidation { get; set; }

    /// <summary>What <see cref="Security"/> and <see cref="EnableSsl"/> mean together.</summary>
    public SmtpSecurity EffectiveSecurity => Security ?? EnableSsl switch
    {
        true => SmtpSecurity.StartTls,
        false => SmtpSecurity.None,
        null => SmtpSecurity.Auto,
    };
}
