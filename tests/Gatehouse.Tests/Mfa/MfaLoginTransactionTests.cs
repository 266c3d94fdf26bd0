using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Mfa;

/// <summary>
/// A second factor and the login it completes commit together: when the login's save fails (a unique-index clash on
/// the session or trust-link insert, <see cref="FailingInserts"/>), the factor is still unspent and the answer is the
/// 409 envelope, so the retry it invites logs in.
/// </summary>
public abstract class MfaLoginTransactionTests(DatabaseKind database) : MfaTestBase(database)
{
    private const string LoggedIn = "NEW.user_id IS NOT NULL"; // the pending flow's anonymous session still saves

    private static readonly Dictionary<string, string?> TrustOn = new() { ["Gatehouse:Mfa:TrustEnabled"] = "true" };

    [Theory, MemberData(nameof(Clients))]
    public async Task ALoginWhoseSessionCannotBeSaved_Answers409_AndTheSameTotpCodeLogsInOnRetry(ClientKind kind)
    {
        var app = await StartAsync();
        var (_, secret, _) = await TotpUserAsync(app, kind);
        NextStep(app);
        var client = await AtMfaStageAsync(app, kind);
        var code = TotpCode(app, secret);
        await FailingInserts.StartAsync(app, "sessions", LoggedIn);

        var failed = await client.PostAsync("auth/2fa/authenticate", new { code });

        Assert.Equal(409, failed.StatusCode);
        Assert.Equal(409, failed.Json.GetProperty("status").GetInt32());
        var stage = await app.DbAsync(db => db.CodeChallenges.SingleAsync(c => c.Purpose == "mfa_authenticate"));
        Assert.Equal(1, stage.Attempts); // the attempt stays counted, by design
        Assert.Null(stage.ConsumedAt);
        await FailingInserts.StopAsync(app, "sessions");
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
        await FailingInserts.StartAsync(app, "sessions", LoggedIn);

        var failed = await client.PostAsync("auth/2fa/authenticate", new { code = codes[0] });

        Assert.Equal(409, failed.StatusCode);
        Assert.Equal(0, await app.DbAsync(db => db.RecoveryCodes.CountAsync(c => c.UsedAt != null)));
        Assert.Equal(0, await app.DbAsync(db => db.AuditEvents.CountAsync(e => e.EventType == "mfa_authenticated")));
        Assert.Equal(mails, await app.DbAsync(db => db.OutboxMessages.CountAsync())); // no "recovery code used" notice
        await FailingInserts.StopAsync(app, "sessions");
        Assert.Equal(200, (await client.PostAsync("auth/2fa/authenticate", new { code = codes[0] })).StatusCode);
        Assert.Equal(1, await app.DbAsync(db => db.RecoveryCodes.CountAsync(c => c.UsedAt != null)));
    }

    [Fact]
    public async Task ALoginThroughTrustWhoseLinkCannotBeSaved_Answers409_AndLeavesNoSession()
    {
        var (app, browser) = await TrustedAndLoggedOutAsync();
        var sessionsBefore = await app.DbAsync(db => db.Sessions.CountAsync(s => s.UserId != null));
        await FailingInserts.StartAsync(app, "mfa_trusted_browser_sessions");

        var failed = await browser.PostAsync("auth/login", new { email = Email, password = Password });

        Assert.Equal(409, failed.StatusCode);
        Assert.Equal(sessionsBefore, await app.DbAsync(db => db.Sessions.CountAsync(s => s.UserId != null)));
        await FailingInserts.StopAsync(app, "mfa_trusted_browser_sessions");
        Assert.Equal(200, (await browser.PostAsync("auth/login", new { email = Email, password = Password })).StatusCode);
        Assert.Equal(1, await app.DbAsync(db => db.TrustedBrowserSessions.CountAsync()));
    }

    [Fact]
    public async Task ALoginThroughATrustThatEndsMeanwhile_Answers409_NotA500()
    {
        var (app, browser) = await TrustedAndLoggedOutAsync();
        // The trust ends (say its authenticator is removed elsewhere) after this login found it, before its link is saved.
        await FailingInserts.BeforeInsertAsync(app, "mfa_trusted_browser_sessions", "1 = 1", "DELETE FROM mfa_trusted_browsers;");

        var failed = await browser.PostAsync("auth/login", new { email = Email, password = Password });

        Assert.Equal(409, failed.StatusCode);
        // The trigger's delete rolled back with the login (it ran in its transaction), so the trust still serves.
        await FailingInserts.StopAsync(app, "mfa_trusted_browser_sessions");
        Assert.Equal(200, (await browser.PostAsync("auth/login", new { email = Email, password = Password })).StatusCode);
    }

    /// <summary>A browser that trusted itself after MFA and logged out: its next password login goes through the trust.</summary>
    private async Task<(GatehouseApp App, ApiClient Browser)> TrustedAndLoggedOutAsync()
    {
        var app = await StartAsync(TrustOn);
        var (_, secret, _) = await TotpUserAsync(app, ClientKind.Browser);
        NextStep(app);
        var browser = await AtMfaStageAsync(app, ClientKind.Browser);
        Assert.Equal("mfa_trust", (await browser.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).PendingFlow);
        Assert.Equal(200, (await browser.PostAsync("auth/2fa/trust", new { trust = true })).StatusCode);
        Assert.Equal(401, (await browser.DeleteAsync("auth/session")).StatusCode); // logged out: allauth answers 401 with the flows
        return (app, browser);
    }
}

public sealed class SqliteMfaLoginTransactionTests() : MfaLoginTransactionTests(DatabaseKind.Sqlite);
public sealed class PostgresMfaLoginTransactionTests() : MfaLoginTransactionTests(DatabaseKind.Postgres);
