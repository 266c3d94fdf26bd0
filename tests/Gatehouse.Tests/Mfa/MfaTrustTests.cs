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
