using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Mfa;

/// <summary>
/// A second factor and the login it completes commit together: when the login's save fails (here a unique-index
/// clash that a trigger raises on the session or trust-link insert, which the API answers as a lost race), the
/// factor is still unspent and the answer is the 409 envelope, so the retry it invites logs in.
/// </summary>
public abstract class MfaLoginTransactionTests(DatabaseKind database) : MfaTestBase(database)
{
    private static readonly Dictionary<string, string?> TrustOn = new() { ["Gatehouse:Mfa:TrustEnabled"] = "true" };

    [Theory, MemberData(nameof(Clients))]
    public async Task ALoginWhoseSessionCannotBeSaved_Answers409_AndTheSameTotpCodeLogsInOnRetry(ClientKind kind)
    {
        var app = await StartAsync();
        var (_, secret, _) = await TotpUserAsync(app, kind);
        NextStep(app);
        var client = await AtMfaStageAsync(app, kind);
        var code = TotpCode(app, secret);
        await FailInsertsAsync(app, "sessions", "NEW.user_id IS NOT NULL");

        var failed = await client.PostAsync("auth/2fa/authenticate", new { code });

        Assert.Equal(409, failed.StatusCode);
        Assert.Equal(409, failed.Json.GetProperty("status").GetInt32());
        var stage = await app.DbAsync(db => db.CodeChallenges.SingleAsync(c => c.Purpose == "mfa_authenticate"));
        Assert.Equal(1, stage.Attempts); // the attempt stays counted, by design
        Assert.Null(stage.ConsumedAt);
        await AllowInsertsAsync(app, "sessions");
        var retried = await client.PostAsync("auth/2fa/authenticate", new { code });
        Assert.Equal(200, retried.StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ALoginWhoseSessionCannotBeSaved_LeavesTheRecoveryCodeUnused(ClientKind kind)
    {
        var app = await StartAsync();
        var (_, _, codes) = await TotpUserAsync(app, kind);
        var client = await AtMfaStageAsync(app, kind);
        var mails = await app.DbAsync(db => db.OutboxMessages.CountAsync());
        await FailInsertsAsync(app, "sessions", "NEW.user_id IS NOT NULL");

        var failed = await client.PostAsync("auth/2fa/authenticate", new { code = codes[0] });

        Assert.Equal(409, failed.StatusCode);
        Assert.Equal(0, await app.DbAsync(db => db.RecoveryCodes.CountAsync(c => c.UsedAt != null)));
        Assert.Equal(0, await app.DbAsync(db => db.AuditEvents.CountAsync(e => e.EventType == "mfa_authenticated")));
        Assert.Equal(mails, await app.DbAsync(db => db.OutboxMessages.CountAsync())); // no "recovery code used" notice
        await AllowInsertsAsync(app, "sessions");
        Assert.Equal(200, (await client.PostAsync("auth/2fa/authenticate", new { code = codes[0] })).StatusCode);
        Assert.Equal(1, await app.DbAsync(db => db.RecoveryCodes.CountAsync(c => c.UsedAt != null)));
    }

    [Fact]
    public async Task ALoginThroughTrustWhoseLinkCannotBeSaved_Answers409_AndLeavesNoSession()
    {
        var app = await StartAsync(TrustOn);
        var (_, secret, _) = await TotpUserAsync(app, ClientKind.Browser);
        NextStep(app);
        var browser = await AtMfaStageAsync(app, ClientKind.Browser);
        Assert.Equal("mfa_trust", (await browser.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).PendingFlow);
        Assert.Equal(200, (await browser.PostAsync("auth/2fa/trust", new { trust = true })).StatusCode);
        Assert.Equal(401, (await browser.DeleteAsync("auth/session")).StatusCode); // logged out: allauth answers 401 with the flows
        var sessionsBefore = await app.DbAsync(db => db.Sessions.CountAsync(s => s.UserId != null));
        await FailInsertsAsync(app, "mfa_trusted_browser_sessions", "1 = 1");

        var failed = await browser.PostAsync("auth/login", new { email = Email, password = Password });

        Assert.Equal(409, failed.StatusCode);
        Assert.Equal(sessionsBefore, await app.DbAsync(db => db.Sessions.CountAsync(s => s.UserId != null)));
        await AllowInsertsAsync(app, "mfa_trusted_browser_sessions");
        Assert.Equal(200, (await browser.PostAsync("auth/login", new { email = Email, password = Password })).StatusCode);
        Assert.Equal(1, await app.DbAsync(db => db.TrustedBrowserSessions.CountAsync()));
    }

    /// <summary>
    /// Every insert into <paramref name="table"/> matching <paramref name="when"/> fails with a real unique-index
    /// violation (the trigger inserts a schema_migrations version that exists), as a concurrent writer would cause.
    /// </summary>
    private static Task FailInsertsAsync(GatehouseApp app, string table, string when) => app.ExecuteSqlAsync(app.Database == DatabaseKind.Sqlite
        ? $"CREATE TRIGGER test_fail_insert BEFORE INSERT ON {table} WHEN {when} " +
          "BEGIN INSERT INTO schema_migrations (version, name, applied_at) SELECT version, name, applied_at FROM schema_migrations LIMIT 1; END;"
        : "CREATE FUNCTION test_fail_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN " +
          "INSERT INTO schema_migrations (version, name, applied_at) SELECT version, name, applied_at FROM schema_migrations LIMIT 1; RETURN NEW; END $$; " +
          $"CREATE TRIGGER test_fail_insert BEFORE INSERT ON {table} FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION test_fail_insert();");

    private static Task AllowInsertsAsync(GatehouseApp app, string table) => app.ExecuteSqlAsync(app.Database == DatabaseKind.Sqlite
        ? "DROP TRIGGER test_fail_insert;"
        : $"DROP TRIGGER test_fail_insert ON {table}; DROP FUNCTION test_fail_insert();");
}

public sealed class SqliteMfaLoginTransactionTests() : MfaLoginTransactionTests(DatabaseKind.Sqlite);
public sealed class PostgresMfaLoginTransactionTests() : MfaLoginTransactionTests(DatabaseKind.Postgres);
