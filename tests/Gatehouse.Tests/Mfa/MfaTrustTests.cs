using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Mfa;

/// <summary>"Trust this browser" (Gatehouse:Mfa:TrustEnabled): the mfa_trust stage and POST auth/2fa/trust.</summary>
public abstract class MfaTrustTests(DatabaseKind database) : MfaTestBase(database)
{
    private static readonly Dictionary<string, string?> TrustOn = new() { ["Gatehouse:Mfa:TrustEnabled"] = "true" };

    [Fact]
    public async Task ATrustedBrowser_SkipsMfaAtItsNextLogin_AndOnlyTheHashIsStored()
    {
        var app = await StartAsync(TrustOn);
        var (_, secret, _) = await TotpUserAsync(app, ClientKind.Browser);
        NextStep(app);
        var browser = await AtMfaStageAsync(app, ClientKind.Browser);

        var afterMfa = await browser.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) });
        Assert.Equal(401, afterMfa.StatusCode);
        Assert.Equal("mfa_trust", afterMfa.PendingFlow);
        Assert.Equal(401, (await browser.GetAsync("auth/session")).StatusCode);

        var trusted = await browser.PostAsync("auth/2fa/trust", new { trust = true });

        Assert.Equal(200, trusted.StatusCode);
        Assert.Equal(["password", "mfa"], trusted.Data.GetProperty("methods").EnumerateArray().Select(m => m.GetProperty("method").GetString()));
        var cookie = browser.Cookie("mfa_trusted")!;
        Assert.True(cookie.Length >= 40);
        var stored = await app.DbAsync(db => db.TrustedBrowsers.Select(t => t.TokenHash).SingleAsync());
        Assert.Equal(Gatehouse.Security.Secrets.Sha256(cookie), stored);
        await browser.DeleteAsync("auth/session"); // logout

        var again = await browser.PostAsync("auth/login", new { email = Email, password = Password });
        Assert.Equal(200, again.StatusCode);
        // Another browser is not trusted.
        await AtMfaStageAsync(app, ClientKind.Browser);
    }

    [Fact]
    public async Task DecliningTrust_LogsIn_AndTheNextLoginAsksForMfaAgain()
    {
        var app = await StartAsync(TrustOn);
        var (_, secret, _) = await TotpUserAsync(app, ClientKind.Browser);
        NextStep(app);
        var browser = await AtMfaStageAsync(app, ClientKind.Browser);
        Assert.Equal("mfa_trust", (await browser.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).PendingFlow);

        Assert.Equal(["invalid@trust"], (await browser.PostAsync("auth/2fa/trust", new { trust = "yes" })).ErrorCodes);
        Assert.Equal(200, (await browser.PostAsync("auth/2fa/trust", new { trust = false })).StatusCode);

        Assert.Equal(200, (await browser.GetAsync("auth/session")).StatusCode);
        Assert.Null(browser.Cookie("mfa_trusted"));
        Assert.Equal(0, await app.DbAsync(db => db.TrustedBrowsers.CountAsync()));
        await browser.DeleteAsync("auth/session");
        Assert.Equal("mfa_authenticate", (await browser.PostAsync("auth/login", new { email = Email, password = Password })).PendingFlow);
    }

    [Fact]
    public async Task Trust_EndsWithAPasswordChange_AndWithAuthenticatorRemoval()
    {
        var app = await StartAsync(TrustOn);
        var (_, secret, _) = await TotpUserAsync(app, ClientKind.Browser);
        NextStep(app);
        var browser = await TrustedBrowserAsync(app, secret);

        // Password changed: the stamp the trust was given under is gone.
        const string newPassword = "N3w-Tr0ub4dor&3-horse";
        Assert.Equal(200, (await browser.PostAsync("account/password/change", new { current_password = Password, new_password = newPassword })).StatusCode);
        await browser.DeleteAsync("auth/session");
        var login = await browser.PostAsync("auth/login", new { email = Email, password = newPassword });
        Assert.Equal("mfa_authenticate", login.PendingFlow);
        NextStep(app);
        Assert.Equal("mfa_trust", (await browser.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).PendingFlow);
        Assert.Equal(200, (await browser.PostAsync("auth/2fa/trust", new { trust = true })).StatusCode);

        // Removing TOTP ends every trust of the user.
        Assert.Equal(200, (await browser.DeleteAsync("account/authenticators/totp")).StatusCode);
        Assert.Equal(0, await app.DbAsync(db => db.TrustedBrowsers.CountAsync()));
    }

    [Fact]
    public async Task TheAppClient_HasNoTrustStage_AndNoTrustRoute()
    {
        var app = await StartAsync(TrustOn);
        var (_, secret, _) = await TotpUserAsync(app, ClientKind.App);
        NextStep(app);
        var client = await AtMfaStageAsync(app, ClientKind.App);

        Assert.Equal(200, (await client.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).StatusCode);
        Assert.Equal(404, (await client.PostAsync("auth/2fa/trust", new { trust = true })).StatusCode);
    }

    [Fact]
    public async Task WithTrustOff_ThereIsNoTrustStage_AndNoRoute()
    {
        var app = await StartAsync();
        var (_, secret, _) = await TotpUserAsync(app, ClientKind.Browser);
        NextStep(app);
        var browser = await AtMfaStageAsync(app, ClientKind.Browser);

        Assert.Equal(200, (await browser.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).StatusCode);
        Assert.Equal(404, (await browser.PostAsync("auth/2fa/trust", new { trust = true })).StatusCode);
    }

    [Fact]
    public async Task TrustingWithoutThePendingStage_Answers401_AndTrustsNothing()
    {
        var app = await StartAsync(TrustOn);
        await TotpUserAsync(app, ClientKind.Browser);
        var browser = await AtMfaStageAsync(app, ClientKind.Browser);

        var early = await browser.PostAsync("auth/2fa/trust", new { trust = true });

        Assert.Equal(401, early.StatusCode);
        Assert.Equal("mfa_authenticate", early.PendingFlow);
        Assert.Equal(0, await app.DbAsync(db => db.TrustedBrowsers.CountAsync()));
    }

    [Fact]
    public async Task EndingAnotherBrowsersSessionFromTheSessionsList_EndsThatBrowsersTrust()
    {
        // The laptop trusted at one login, logged out and back in through the trust: its current session is the
        // one it got by the trust, and ending that one from the phone's session list ends the trust.
        var app = await StartAsync(TrustOn);
        var (_, secret, _) = await TotpUserAsync(app, ClientKind.Browser);
        NextStep(app);
        var laptop = await TrustedBrowserAsync(app, secret);
        NextStep(app);
        var phone = await AtMfaStageAsync(app, ClientKind.Browser);
        Assert.Equal("mfa_trust", (await phone.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).PendingFlow);
        Assert.Equal(200, (await phone.PostAsync("auth/2fa/trust", new { trust = false })).StatusCode);
        var laptopSession = await CurrentSessionIdAsync(laptop);

        var ended = await phone.DeleteAsync("auth/sessions", new { sessions = new[] { laptopSession } });

        Assert.Equal(200, ended.StatusCode);
        Assert.Equal(0, await app.DbAsync(db => db.TrustedBrowsers.CountAsync()));
        Assert.Equal(401, (await laptop.GetAsync("auth/session")).StatusCode);
        Assert.Equal("mfa_authenticate", (await laptop.PostAsync("auth/login", new { email = Email, password = Password })).PendingFlow);
    }

    [Fact]
    public async Task EndingTheSessionThatGrantedTrust_EndsIt_AndOtherBrowsersKeepTheirs()
    {
        var app = await StartAsync(TrustOn);
        var (_, secret, _) = await TotpUserAsync(app, ClientKind.Browser);
        var trusted = new List<ApiClient>();
        foreach (var _ in new[] { 1, 2, 3 })
        {
            NextStep(app);
            var browser = await AtMfaStageAsync(app, ClientKind.Browser);
            Assert.Equal("mfa_trust", (await browser.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).PendingFlow);
            Assert.Equal(200, (await browser.PostAsync("auth/2fa/trust", new { trust = true })).StatusCode);
            trusted.Add(browser);
        }
        var (granting, other, ending) = (trusted[0], trusted[1], trusted[2]);
        var grantingSession = await CurrentSessionIdAsync(granting);
        Assert.Equal(grantingSession, await app.DbAsync(db => db.TrustedBrowserSessions.OrderBy(l => l.TrustedBrowserId).Select(l => l.SessionId).FirstAsync()));

        Assert.Equal(200, (await ending.DeleteAsync("auth/sessions", new { sessions = new[] { grantingSession } })).StatusCode);
        // The ending browser's own session, ended from its own list ("Logout" on the current row), ends its trust too.
        var own = await ending.DeleteAsync("auth/sessions", new { sessions = new[] { await CurrentSessionIdAsync(ending) } });

        Assert.Equal(401, own.StatusCode);
        Assert.Equal(1, await app.DbAsync(db => db.TrustedBrowsers.CountAsync()));
        Assert.Equal("mfa_authenticate", (await granting.PostAsync("auth/login", new { email = Email, password = Password })).PendingFlow);
        Assert.Equal("mfa_authenticate", (await ending.PostAsync("auth/login", new { email = Email, password = Password })).PendingFlow);
        await other.DeleteAsync("auth/session");
        Assert.Equal(200, (await other.PostAsync("auth/login", new { email = Email, password = Password })).StatusCode);
    }

    [Fact]
    public async Task APlainLogout_KeepsTheTrust_AndTheTrustFollowsTheSessionOfTheLoginItSkipped()
    {
        var app = await StartAsync(TrustOn);
        var (_, secret, _) = await TotpUserAsync(app, ClientKind.Browser);
        NextStep(app);

        var browser = await TrustedBrowserAsync(app, secret); // trusted, logged out (DELETE auth/session), in again

        // The granting session ended with the logout and took only its link along.
        var linked = await app.DbAsync(db => db.TrustedBrowserSessions.Select(l => l.SessionId).ToListAsync());
        Assert.Equal([await CurrentSessionIdAsync(browser)], linked);
        Assert.Equal(1, await app.DbAsync(db => db.TrustedBrowsers.CountAsync()));
    }

    [Fact]
    public async Task EndingAnOlderSessionTheTrustWasGrantedIn_EndsIt_AfterALaterLoginUsedTheTrust()
    {
        // The trust cookie went along with a copy of the browser (or the session cookie was lost and the browser
        // logged in again through the trust): the older session is still alive, and whoever holds it may hold the
        // trust cookie too, so ending it from the sessions list ends the trust although a later login used it.
        var app = await StartAsync(TrustOn);
        var (_, secret, _) = await TotpUserAsync(app, ClientKind.Browser);
        NextStep(app);
        var original = await AtMfaStageAsync(app, ClientKind.Browser);
        Assert.Equal("mfa_trust", (await original.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).PendingFlow);
        Assert.Equal(200, (await original.PostAsync("auth/2fa/trust", new { trust = true })).StatusCode);
        var copy = app.Client(ClientKind.Browser);
        copy.SetCookie("mfa_trusted", original.Cookie("mfa_trusted")!);
        Assert.Equal(200, (await copy.PostAsync("auth/login", new { email = Email, password = Password })).StatusCode);

        var ended = await copy.DeleteAsync("auth/sessions", new { sessions = new[] { await CurrentSessionIdAsync(original) } });

        Assert.Equal(200, ended.StatusCode);
        Assert.Equal(0, await app.DbAsync(db => db.TrustedBrowsers.CountAsync()));
        await copy.DeleteAsync("auth/session");
        Assert.Equal("mfa_authenticate", (await copy.PostAsync("auth/login", new { email = Email, password = Password })).PendingFlow);
    }

    private static async Task<long> CurrentSessionIdAsync(ApiClient client)
    {
        var list = await client.GetAsync("auth/sessions");
        Assert.Equal(200, list.StatusCode);
        return list.Data.EnumerateArray().Single(s => s.GetProperty("is_current").GetBoolean()).GetProperty("id").GetInt64();
    }

    private static async Task<ApiClient> TrustedBrowserAsync(GatehouseApp app, string secret)
    {
        var browser = await AtMfaStageAsync(app, ClientKind.Browser);
        Assert.Equal("mfa_trust", (await browser.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).PendingFlow);
        Assert.Equal(200, (await browser.PostAsync("auth/2fa/trust", new { trust = true })).StatusCode);
        await browser.DeleteAsync("auth/session");
        Assert.Equal(200, (await browser.PostAsync("auth/login", new { email = Email, password = Password })).StatusCode);
        return browser;
    }
}

public sealed class SqliteMfaTrustTests() : MfaTrustTests(DatabaseKind.Sqlite);
public sealed class PostgresMfaTrustTests() : MfaTrustTests(DatabaseKind.Postgres);
