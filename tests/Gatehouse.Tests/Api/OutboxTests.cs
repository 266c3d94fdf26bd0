using System.Text.RegularExpressions;
using Gatehouse.Email;
using Gatehouse.Security;
using Gatehouse.Sessions;
using Gatehouse.Storage.Entities;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Tests.Api;

/// <summary>
/// The outbox: a mail that cannot be delivered is kept and retried with back-off, survives a restart,
/// and is sent by whichever node runs next. The audit log records who did what from where, and
/// neither it nor the logs ever hold a token, key or code.
/// </summary>
public abstract class OutboxTests(DatabaseKind database) : ApiTestBase(database)
{
    private const string ConfirmSubject = "Confirm Your Email";

    [Theory, MemberData(nameof(Clients))]
    public async Task ARejectedMail_StaysInTheOutbox_AndIsDeliveredAfterTheBackoff(ClientKind kind)
    {
        var app = await StartAsync();
        app.Mail.RejectMail = true;
        var client = app.Client(kind);

        var signup = await client.PostAsync("auth/signup", new { email = "alice@example.com", password = Password });

        Assert.Equal(401, signup.StatusCode);
        Assert.Equal("verify_email", signup.PendingFlow);
        var failed = await WaitForOutboxAsync(app, m => m.Attempts >= 1);
        Assert.Null(failed.SentAt);
        Assert.Null(failed.FailedAt);
        Assert.False(string.IsNullOrEmpty(failed.LastError));
        Assert.True(failed.NextAttemptAt > app.Clock.GetUtcNow().UtcDateTime, "a retry is scheduled in the future");
        Assert.Empty(app.Mail.Messages);

        app.Mail.RejectMail = false;
        Assert.Equal(0, await app.DrainOutboxAsync()); // a pass now: nothing is due before the back-off ends
        Assert.Empty(app.Mail.Messages);
        app.Clock.Advance(TimeSpan.FromMinutes(2)); // the worker's back-off timer fires: no explicit pass below

        var mail = await app.Mail.WaitForMailAsync(m => m.To.Contains("alice@example.com") && m.Subject.Contains(ConfirmSubject, StringComparison.Ordinal));
        var sent = await WaitForOutboxAsync(app, m => m.SentAt != null);
        Assert.True(sent.Attempts >= 1);
        var verify = await client.PostAsync("auth/email/verify", new { key = KeyFromUrl(mail.FirstUrl()) });
        Assert.Equal(200, verify.StatusCode);
    }

    [Fact]
    public async Task AMailGivesUp_AfterTheConfiguredNumberOfAttempts()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Email:OutboxMaxAttempts"] = "2" });
        app.Mail.RejectMail = true;

        await app.Client(ClientKind.App).PostAsync("auth/signup", new { email = "alice@example.com", password = Password });
        await WaitForOutboxAsync(app, m => m.Attempts == 1);
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        var given = await WaitForOutboxAsync(app, m => m.FailedAt != null);

        Assert.Equal(2, given.Attempts);
        Assert.Null(given.SentAt);
        app.Mail.RejectMail = false;
        app.Clock.Advance(TimeSpan.FromHours(2));
        await app.DrainOutboxAsync();
        Assert.Empty(app.Mail.Messages);
    }

    [Fact]
    public async Task AnUnsentMail_IsDeliveredByTheNextAppStartedOnTheSameDatabase()
    {
        var (connectionString, dropDatabase) = await CreateDatabaseAsync();
        try
        {
            string key;
            await using (var first = await GatehouseApp.StartAsync(Database, connectionString))
            {
                first.Mail.RejectMail = true;
                var signup = await first.Client(ClientKind.App).PostAsync("auth/signup", new { email = "alice@example.com", password = Password });
                Assert.Equal(401, signup.StatusCode);
                var pending = await WaitForOutboxAsync(first, m => m.Attempts >= 1);
                Assert.Null(pending.SentAt);
                Assert.Empty(first.Mail.Messages);
                key = "";
            }

            await using var second = await GatehouseApp.StartAsync(Database, connectionString);
            second.Clock.Advance(TimeSpan.FromMinutes(5)); // past the first node's back-off

            var mail = await second.Mail.WaitForMailAsync(m => m.To.Contains("alice@example.com") && m.Subject.Contains(ConfirmSubject, StringComparison.Ordinal));
            key = KeyFromUrl(mail.FirstUrl());
            var sent = await WaitForOutboxAsync(second, m => m.SentAt != null);
            Assert.Equal(1, await second.DbAsync(db => db.OutboxMessages.CountAsync()));
            Assert.True(sent.Attempts >= 1);

            // The mail is the one the first node wrote: its key verifies the account on the second.
            var verify = await second.Client(ClientKind.App).PostAsync("auth/email/verify", new { key });
            Assert.Equal(401, verify.StatusCode);
            Assert.Equal(200, (await second.Client(ClientKind.App).PostAsync("auth/login", new { email = "alice@example.com", password = Password })).StatusCode);
        }
        finally
        {
            await dropDatabase();
        }
    }

    [Fact]
    public async Task TwoAppsOnOneDatabase_SendEachMailOnce()
    {
        var (connectionString, dropDatabase) = await CreateDatabaseAsync();
        try
        {
            await using var first = await GatehouseApp.StartAsync(Database, connectionString);
            await using var second = await GatehouseApp.StartAsync(Database, connectionString);

            for (var i = 0; i < 10; i++)
            {
                var node = i % 2 == 0 ? first : second;
                Assert.Equal(200, (await node.Client(ClientKind.App).PostAsync("auth/password/request", new { email = $"user{i}@example.com" })).StatusCode);
            }
            await Task.WhenAll(first.DrainOutboxAsync(), second.DrainOutboxAsync(), first.DrainOutboxAsync(), second.DrainOutboxAsync());
            await WaitUntilAllSentAndIdleAsync(first, second);

            var delivered = first.Mail.Messages.Concat(second.Mail.Messages).SelectMany(m => m.To).ToList();
            Assert.Equal(10, delivered.Count);
            Assert.Equal(10, delivered.Distinct().Count());
        }
        finally
        {
            await dropDatabase();
        }
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ASignupsMail_GoesOutWhenTheSignupCommits_WithoutWaitingForThePoll(ClientKind kind)
    {
        // A day between polls and a clock that never moves: only the wake-up after the commit can send it.
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Email:OutboxPollInterval"] = "1.00:00:00" });
        var start = app.Clock.GetUtcNow();

        // Several in a row: a wake-up given before the commit loses its race with the commit only now and
        // then, and each signup here must be answered by its own wake-up.
        for (var i = 0; i < 6; i++)
        {
            var email = $"user{i}@example.com";
            var signup = await app.Client(kind).PostAsync("auth/signup", new { email, password = Password });

            Assert.Equal(401, signup.StatusCode);
            var mail = await app.Mail.WaitForMailAsync(m => m.To.Contains(email) && m.Subject.Contains(ConfirmSubject, StringComparison.Ordinal));
            Assert.Contains("/account/verify-email/", mail.TextBody, StringComparison.Ordinal);
        }
        Assert.Equal(start, app.Clock.GetUtcNow());
    }

    [Fact]
    public async Task ASlowBatch_LeasesEachMessageFromItsOwnClaim_SoAnotherNodeDoesNotSendItAgain()
    {
        var (connectionString, dropDatabase) = await CreateDatabaseAsync();
        try
        {
            await using var first = await GatehouseApp.StartAsync(Database, connectionString);
            await using var second = await GatehouseApp.StartAsync(Database, connectionString);
            var lease = first.Services.GetRequiredService<OutboxWorker>().Lease;
            // The SMTP server of the first node is slow: while it takes the first mail, the lease time passes
            // on both nodes; while it takes the second, the second node runs a pass of its own.
            first.Mail.OnMail = async mail =>
            {
                if (mail.To.Contains("one@example.com"))
                {
                    first.Clock.Advance(lease + TimeSpan.FromMinutes(1));
                    second.Clock.Advance(lease + TimeSpan.FromMinutes(1));
                }
                else if (mail.To.Contains("two@example.com"))
                {
                    await second.DrainOutboxAsync();
                }
            };

            // Both workers between passes (the second's next deadline is its hour-long poll), so the batch is
            // the first node's alone and the second takes part only through the pass the hook runs.
            await WaitUntilAsync(() => Task.FromResult(new[] { first, second }.All(app => app.Services.GetRequiredService<OutboxWorker>().Waiting)));
            await EnqueueAsync(first, "one@example.com", "two@example.com", "three@example.com"); // one commit: one batch
            await WaitUntilAllSentAndIdleAsync(first, second);

            var delivered = first.Mail.Messages.Concat(second.Mail.Messages).SelectMany(m => m.To).Order().ToList();
            Assert.Equal(["one@example.com", "three@example.com", "two@example.com"], delivered);
            Assert.DoesNotContain("two@example.com", second.Mail.Messages.SelectMany(m => m.To)); // the first node held it
        }
        finally
        {
            await dropDatabase();
        }
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TheAuditLog_RecordsSignupLoginFailureAndLogout_WithIpAndUserAgent(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { [GatehouseApp.RemoteIpSetting] = "203.0.113.5" });
        var signup = app.Client(kind, userAgent: "AuditAgent/1.0");
        await signup.PostAsync("auth/signup", new { email = "alice@example.com", password = Password });
        var key = await VerificationKeyAsync(app, "alice@example.com");
        Assert.Equal(200, (await signup.PostAsync("auth/email/verify", new { key })).StatusCode);
        Assert.Equal(401, (await signup.DeleteAsync("auth/session")).StatusCode);
        var client = app.Client(kind, userAgent: "AuditAgent/1.0");
        Assert.Equal(400, (await client.PostAsync("auth/login", new { email = "alice@example.com", password = "wrong-password" })).StatusCode);
        Assert.Equal(200, (await client.PostAsync("auth/login", new { email = "alice@example.com", password = Password })).StatusCode);
        Assert.Equal(401, (await client.DeleteAsync("auth/session")).StatusCode);

        var events = await app.DbAsync(db => db.AuditEvents.AsNoTracking().OrderBy(e => e.Id).ToListAsync());
        var userId = await app.DbAsync(db => db.Users.Select(u => u.Id).SingleAsync());

        Assert.Equal(
            ["signed_up", "email_confirmed", "logged_in", "logged_out", "login_failed", "logged_in", "logged_out"],
            events.Select(e => e.EventType));
        Assert.All(events, e =>
        {
            Assert.Equal("203.0.113.5", e.Ip);
            Assert.Equal("AuditAgent/1.0", e.UserAgent);
            Assert.Equal(userId, e.UserId);
        });
    }

    [Fact]
    public async Task AFailedLoginForAnUnknownAddress_IsAuditedWithoutAUser()
    {
        var app = await StartAsync();

        await app.Client(ClientKind.App, "Probe/2.0").PostAsync("auth/login", new { email = "nobody@example.com", password = "wrong-password" });

        var failure = await app.DbAsync(db => db.AuditEvents.AsNoTracking().SingleAsync());
        Assert.Equal("login_failed", failure.EventType);
        Assert.Null(failure.UserId);
        Assert.Equal("Probe/2.0", failure.UserAgent);
        Assert.False(failure.Data?.Contains("wrong-password", StringComparison.Ordinal) ?? false);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task NoTokenKeyCodeOrPassword_EverReachesTheAuditLogOrTheLogs(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Debug",
            ["Gatehouse:RateLimits:Enabled"] = "true",
        });
        var secrets = new List<string> { Password, "Wr0ng-but-secret-pw", "N3w-Secret-Passw0rd!" };
        void Keep(string? secret)
        {
            if (!string.IsNullOrEmpty(secret))
            {
                secrets.Add(secret);
            }
        }

        // signup -> verify (key) -> session
        var client = app.Client(kind);
        var signup = await client.PostAsync("auth/signup", new { email = "alice@example.com", password = Password });
        Keep(signup.SessionTokenInMeta);
        Keep(client.Cookie("sessionid"));
        var key = await VerificationKeyAsync(app, "alice@example.com");
        Keep(key);
        var verified = await client.PostAsync("auth/email/verify", new { key });
        Assert.Equal(200, verified.StatusCode);
        Keep(client.SessionToken);
        Keep(client.Cookie("sessionid"));
        Keep(client.Cookie("csrftoken"));

        // a wrong password, a reauthentication, a password change (rotates the token)
        await client.PostAsync("auth/reauthenticate", new { password = "Wr0ng-but-secret-pw" });
        var change = await client.PostAsync("account/password/change", new { current_password = Password, new_password = "N3w-Secret-Passw0rd!" });
        Assert.Equal(200, change.StatusCode);
        Keep(client.SessionToken);
        Keep(client.Cookie("sessionid"));
        await client.DeleteAsync("auth/session");

        // login by code (code in the mail)
        var byCode = app.Client(kind);
        Assert.Equal(401, (await byCode.PostAsync("auth/code/request", new { email = "alice@example.com" })).StatusCode);
        Keep(byCode.SessionToken);
        var codeMail = await MailToAsync(app, "alice@example.com", "Sign-In Code");
        var code = codeMail.CodeLine()!;
        Keep(code);
        Keep(code.Replace("-", "", StringComparison.Ordinal));
        await byCode.PostAsync("auth/code/confirm", new { code = "WRNG-CODE" });
        Assert.Equal(200, (await byCode.PostAsync("auth/code/confirm", new { code })).StatusCode);
        Keep(byCode.SessionToken);
        Keep(byCode.Cookie("sessionid"));

        // password reset (key in the link), used once
        var reset = app.Client(kind);
        Assert.Equal(200, (await reset.PostAsync("auth/password/request", new { email = "alice@example.com" })).StatusCode);
        var resetKey = KeyFromUrl((await MailToAsync(app, "alice@example.com", "Password Reset Email")).FirstUrl());
        Keep(resetKey);
        Assert.Equal(401, (await reset.PostAsync("auth/password/reset", new { key = resetKey, password = "An0ther-Secret-Pw!" })).StatusCode);
        secrets.Add("An0ther-Secret-Pw!");

        // a dead app token sent back (the server must not echo or log it)
        var dead = app.Client(kind);
        dead.SessionToken = "DeadToken" + new string('q', 23);
        await dead.GetAsync("auth/session");
        secrets.Add(dead.SessionToken);

        await app.DrainOutboxAsync();
        var audit = await app.DbAsync(db => db.AuditEvents.AsNoTracking().ToListAsync());
        var sessionRows = await app.DbAsync(db => db.Sessions.AsNoTracking().Select(s => s.State ?? "").ToListAsync());
        var logs = app.Logs.Lines;

        Assert.NotEmpty(audit);
        Assert.NotEmpty(logs);
        Assert.Contains(logs, l => l.Contains("Outbox message", StringComparison.Ordinal)); // the capture works at this level
        foreach (var secret in secrets.Distinct())
        {
            Assert.DoesNotContain(audit, e => Contains(e.Data, secret) || Contains(e.UserAgent, secret) || Contains(e.Ip, secret));
            Assert.DoesNotContain(sessionRows, state => Contains(state, secret));
            var leak = logs.FirstOrDefault(l => Contains(l, secret));
            Assert.True(leak is null, $"A secret ({secret[..3]}...) appears in the log: {Regex.Replace(leak ?? "", Regex.Escape(secret), "<SECRET>")}");
        }
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static bool Contains(string? text, string secret) =>
        text is not null && text.Contains(secret, StringComparison.OrdinalIgnoreCase);

    /// <summary>Waits (the worker is asynchronous) until the single outbox row matches.</summary>
    [Fact]
    public async Task ABodyMovedIntoARowForAnotherRecipient_IsNotSent()
    {
        // Someone who can write to the database copies a sealed mail for alice into a row addressed to
        // themselves: the body is bound to its recipient, so the worker refuses to open it.
        var app = await StartAsync();
        var box = app.Services.GetRequiredService<SecretBox>();
        await AddOutboxRowsAsync(app,
            ("mallory@example.com", "Moved", box.Seal("alice's reset link", Mailer.TextBodyPurpose, "alice@example.com")),
            ("bob@example.com", "Genuine", box.Seal("hello bob", Mailer.TextBodyPurpose, "bob@example.com")));

        var genuine = await app.Mail.WaitForMailAsync(m => m.Subject.Contains("Genuine", StringComparison.Ordinal));
        var moved = await WaitForOutboxAsync(app, m => m.Subject == "Moved" && m.Attempts >= 1);

        Assert.Contains("hello bob", genuine.TextBody, StringComparison.Ordinal);
        Assert.Null(moved.SentAt);
        Assert.Contains("Exception", moved.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Mail.Messages, m => m.To.Contains("mallory@example.com"));
    }

    [Fact]
    public async Task AfterTheSecretKeyChanged_MailSealedUnderTheOldKey_IsSentWhenTheOldKeyIsListed_AndNotOtherwise()
    {
        var oldKey = Enumerable.Range(0, 32).Select(i => (byte)(i * 3 + 5)).ToArray();
        var newKey = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(250 - i)).ToArray());
        var oldBox = new SecretBox(oldKey);
        var listed = await StartAsync(new Dictionary<string, string?>
        {
            ["Gatehouse:SecretKey"] = newKey,
            ["Gatehouse:PreviousSecretKeys:0"] = Convert.ToBase64String(oldKey),
        });
        var unlisted = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:SecretKey"] = newKey });

        await AddOutboxRowsAsync(listed, ("alice@example.com", "Old key", oldBox.Seal("sealed before the rotation", Mailer.TextBodyPurpose, "alice@example.com")));
        await AddOutboxRowsAsync(unlisted, ("alice@example.com", "Old key", oldBox.Seal("sealed before the rotation", Mailer.TextBodyPurpose, "alice@example.com")));

        var sent = await listed.Mail.WaitForMailAsync(m => m.Subject.Contains("Old key", StringComparison.Ordinal));
        Assert.Contains("sealed before the rotation", sent.TextBody, StringComparison.Ordinal);
        var refused = await WaitForOutboxAsync(unlisted, m => m.Attempts >= 1);
        Assert.Null(refused.SentAt);
        Assert.Empty(unlisted.Mail.Messages);
    }

    private static Task AddOutboxRowsAsync(GatehouseApp app, params (string To, string Subject, string SealedText)[] rows) =>
        app.DbAsync(async db =>
        {
            var now = app.Clock.GetUtcNow().UtcDateTime;
            foreach (var (to, subject, sealedText) in rows)
            {
                db.OutboxMessages.Add(new OutboxMessage { ToAddress = to, Subject = subject, TextBody = sealedText, CreatedAt = now, NextAttemptAt = now });
            }
            return await db.SaveChangesAsync();
        });

    private static async Task<OutboxMessage> WaitForOutboxAsync(GatehouseApp app, Func<OutboxMessage, bool> match)
    {
        OutboxMessage? row = null;
        await WaitUntilAsync(async () =>
        {
            var rows = await app.DbAsync(db => db.OutboxMessages.AsNoTracking().ToListAsync());
            row = rows.FirstOrDefault(match);
            return row is not null;
        });
        return row!;
    }

    /// <summary>
    /// Waits until every outbox row is sent and no pass runs on any of the apps: from then on nothing
    /// can be claimed, so the catchers hold all the mail there will be.
    /// </summary>
    private static Task WaitUntilAllSentAndIdleAsync(params GatehouseApp[] apps) => WaitUntilAsync(async () =>
        await apps[0].DbAsync(db => db.OutboxMessages.CountAsync(m => m.SentAt == null)) == 0 &&
        apps.All(app => app.Services.GetRequiredService<OutboxWorker>().ActivePasses == 0));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The condition did not hold within 15 s.");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>A database owned by the test (not by an app), so apps can be stopped and started on it.</summary>
    private async Task<(string ConnectionString, Func<Task> Drop)> CreateDatabaseAsync()
    {
        if (Database == DatabaseKind.Postgres)
        {
            var connectionString = await PostgresServer.CreateDatabaseAsync("gatehouse_test") + ";Maximum Pool Size=20";
            return (connectionString, async () =>
            {
                Npgsql.NpgsqlConnection.ClearAllPools();
                await PostgresServer.DropDatabaseAsync(connectionString);
            });
        }
        var directory = Directory.CreateTempSubdirectory("gatehouse-test-").FullName;
        return ($"Data Source={Path.Combine(directory, "gatehouse.db")};Pooling=false", () =>
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // a file still open on a slow shutdown; the temp folder is cleaned by the OS
            }
            return Task.CompletedTask;
        });
    }
}

public sealed class SqliteOutboxTests() : OutboxTests(DatabaseKind.Sqlite);
public sealed class PostgresOutboxTests() : OutboxTests(DatabaseKind.Postgres);
