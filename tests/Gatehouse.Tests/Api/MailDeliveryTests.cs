using Gatehouse.Storage.Entities;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Api;

/// <summary>
/// SMTP delivery (MailKit) against a real SMTP server: implicit TLS and STARTTLS with authentication,
/// a refused certificate or a missing STARTTLS failing closed, and one connection for a batch of
/// messages that is opened again when the server drops it.
/// </summary>
public abstract class MailDeliveryTests(DatabaseKind database) : ApiTestBase(database)
{
    [Fact]
    public async Task ImplicitTls_WithAuthentication_DeliversOverAnEncryptedAuthenticatedSession()
    {
        var app = await StartAsync(Tls("SslOnConnect", security: "SslOnConnect", username: "mailer", password: "smtp-Secret-1"));

        await EnqueueAsync(app, "alice@example.com");

        var mail = await app.Mail.WaitForMailAsync(m => m.To.Contains("alice@example.com"));
        Assert.True(mail.Secure);
        Assert.Equal("mailer", mail.User);
        Assert.Contains("BCDF-GHJK", mail.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartTls_WithAuthentication_UpgradesBeforeTheCredentialsAreSent()
    {
        var app = await StartAsync(Tls("StartTls", security: "StartTls", username: "mailer", password: "smtp-Secret-1"));

        await EnqueueAsync(app, "alice@example.com");

        var mail = await app.Mail.WaitForMailAsync(m => m.To.Contains("alice@example.com"));
        Assert.True(mail.Secure);
        Assert.Equal("mailer", mail.User);
    }

    [Fact]
    public async Task Auto_OnAServerThatOffersStartTls_Encrypts()
    {
        var app = await StartAsync(Tls("StartTls", security: null));

        await EnqueueAsync(app, "alice@example.com");

        Assert.True((await app.Mail.WaitForMailAsync(m => m.To.Contains("alice@example.com"))).Secure);
    }

    [Fact]
    public async Task EnableSslTrue_StillMeansStartTls_AsBeforeSecurityExisted()
    {
        var app = await StartAsync(new Dictionary<string, string?>(Tls("StartTls", security: null)) { ["Gatehouse:Email:Smtp:EnableSsl"] = "true" });

        await EnqueueAsync(app, "alice@example.com");

        Assert.True((await app.Mail.WaitForMailAsync(m => m.To.Contains("alice@example.com"))).Secure);
    }

    [Fact]
    public async Task AnUntrustedCertificate_IsRefused_AndTheMailWaitsInTheOutbox()
    {
        var app = await StartAsync(new Dictionary<string, string?>(Tls("SslOnConnect", security: "SslOnConnect"))
        {
            [GatehouseApp.SmtpTrustSetting] = "false", // the system's trust store does not know the self-signed certificate
        });

        await EnqueueAsync(app, "alice@example.com");

        var row = await FirstAttemptAsync(app);
        Assert.Null(row.SentAt);
        Assert.Equal(1, row.Attempts);
        Assert.Contains("SslHandshakeException", row.LastError, StringComparison.Ordinal);
        Assert.Empty(app.Mail.Messages);
    }

    [Fact]
    public async Task StartTls_AgainstAServerWithoutIt_IsNotDowngradedToPlainText()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Email:Smtp:Security"] = "StartTls" });

        await EnqueueAsync(app, "alice@example.com");

        var row = await FirstAttemptAsync(app);
        Assert.Null(row.SentAt);
        Assert.Contains("STARTTLS", row.LastError, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(app.Mail.Messages);
    }

    [Fact]
    public async Task Auto_WithCredentials_NeverSendsThePasswordOverPlainText()
    {
        // The server offers AUTH on a plain connection; with a username, Auto still insists on STARTTLS.
        var app = await StartAsync(new Dictionary<string, string?>
        {
            [GatehouseApp.SmtpUsernameSetting] = "mailer",
            [GatehouseApp.SmtpPasswordSetting] = "smtp-Secret-1",
            ["Gatehouse:Email:Smtp:Username"] = "mailer",
            ["Gatehouse:Email:Smtp:Password"] = "smtp-Secret-1",
        });

        await EnqueueAsync(app, "alice@example.com");

        var row = await FirstAttemptAsync(app);
        Assert.Null(row.SentAt);
        Assert.DoesNotContain("smtp-Secret-1", row.LastError, StringComparison.Ordinal);
        Assert.Empty(app.Mail.Messages);
    }

    [Fact]
    public async Task ABatchOfMessages_GoesOverOneConnection()
    {
        var app = await StartAsync();

        await EnqueueAsync(app, "one@example.com", "two@example.com", "three@example.com");

        foreach (var to in new[] { "one@example.com", "two@example.com", "three@example.com" })
        {
            await app.Mail.WaitForMailAsync(m => m.To.Contains(to));
        }
        Assert.Equal(1, app.Mail.Sessions);
    }

    [Fact]
    public async Task AConnectionTheServerCloses_IsOpenedAgain_AndTheMessageIsSentInTheSamePass()
    {
        var app = await StartAsync();
        var closeOnce = true;
        app.Mail.OnMail = mail =>
        {
            if (mail.To.Contains("one@example.com") && closeOnce)
            {
                closeOnce = false;
                app.Mail.CloseConnectionAtNextRecipient(); // the server hangs up when the next message begins
            }
            return Task.CompletedTask;
        };

        await EnqueueAsync(app, "one@example.com", "two@example.com", "three@example.com");

        foreach (var to in new[] { "one@example.com", "two@example.com", "three@example.com" })
        {
            await app.Mail.WaitForMailAsync(m => m.To.Contains(to));
        }
        Assert.Equal(2, app.Mail.Sessions);
        var rows = await app.DbAsync(db => db.OutboxMessages.AsNoTracking().ToListAsync());
        Assert.All(rows, r => Assert.Equal(0, r.Attempts)); // no retry was needed: each went out at its first attempt
    }

    private static Dictionary<string, string?> Tls(string catcher, string? security, string? username = null, string? password = null)
    {
        var settings = new Dictionary<string, string?> { [GatehouseApp.SmtpTlsSetting] = catcher };
        if (security is not null)
        {
            settings["Gatehouse:Email:Smtp:Security"] = security;
        }
        if (username is not null)
        {
            settings[GatehouseApp.SmtpUsernameSetting] = username;
            settings[GatehouseApp.SmtpPasswordSetting] = password;
            settings["Gatehouse:Email:Smtp:Username"] = username;
            settings["Gatehouse:Email:Smtp:Password"] = password;
        }
        return settings;
    }

    /// <summary>
    /// The single outbox row once the worker (woken by the commit) has made its first attempt. The clock
    /// does not move, so the back-off before a second attempt never ends.
    /// </summary>
    private static async Task<OutboxMessage> FirstAttemptAsync(GatehouseApp app)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var row = await app.DbAsync(db => db.OutboxMessages.AsNoTracking().SingleAsync());
            if (row.Attempts > 0 || row.SentAt is not null)
            {
                return row;
            }
            Assert.True(DateTime.UtcNow < deadline, "The outbox made no attempt within 15 s.");
            await Task.Delay(50);
        }
    }
}

public sealed class SqliteMailDeliveryTests() : MailDeliveryTests(DatabaseKind.Sqlite);
public sealed class PostgresMailDeliveryTests() : MailDeliveryTests(DatabaseKind.Postgres);
