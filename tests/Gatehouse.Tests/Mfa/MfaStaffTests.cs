using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Mfa;

/// <summary>Gatehouse:Mfa:RequiredForStaff: a staff account without a second factor sets one up before its login completes.</summary>
public abstract class MfaStaffTests(DatabaseKind database) : MfaTestBase(database)
{
    private static readonly Dictionary<string, string?> Required = new() { ["Gatehouse:Mfa:RequiredForStaff"] = "true" };

    [Theory, MemberData(nameof(Clients))]
    public async Task AStaffLoginWithoutMfa_StopsAtMfaSetup_AndSettingUpTotpCompletesIt(ClientKind kind)
    {
        var app = await StartAsync(Required);
        await SignedUpAndVerifiedAsync(app, kind, Email);
        await MakeStaffAsync(app);
        var client = app.Client(kind);

        var login = await client.PostAsync("auth/login", new { email = Email, password = Password });

        Assert.Equal(401, login.StatusCode);
        Assert.Equal("mfa_setup", login.PendingFlow);
        var flow = login.Data.GetProperty("flows").EnumerateArray().Single(f => f.GetProperty("id").GetString() == "mfa_setup");
        Assert.Equal(["totp"], Types(flow)); // what the stage's routes set up; a passkey is added after the login
        // Nothing else is open to it: not the session, not the account's other routes.
        Assert.Equal(401, (await client.GetAsync("auth/session")).StatusCode);
        Assert.Equal(401, (await client.GetAsync("account/authenticators")).StatusCode);
        Assert.Equal(401, (await client.GetAsync("account/email")).StatusCode);
        Assert.Equal(401, (await client.DeleteAsync("account/authenticators/totp")).StatusCode);

        var offer = await client.GetAsync("account/authenticators/totp");
        Assert.Equal(404, offer.StatusCode);
        var secret = offer.Meta.GetProperty("secret").GetString()!;
        Assert.Equal(["incorrect_code@code"], (await client.PostAsync("account/authenticators/totp", new { code = "12345" })).ErrorCodes);
        var activated = await client.PostAsync("account/authenticators/totp", new { code = TotpCode(app, secret) });

        Assert.Equal(200, activated.StatusCode);
        Assert.True(activated.IsAuthenticated);
        Assert.Equal(200, (await client.GetAsync("auth/session")).StatusCode);
        // The recovery codes that came with it are shown once in the new session.
        var codes = await client.GetAsync("account/authenticators/recovery-codes");
        Assert.Equal(10, codes.Data.GetProperty("unused_codes").GetArrayLength());
        // From now on the staff account logs in with its second factor.
        NextStep(app);
        var next = await AtMfaStageAsync(app, kind);
        Assert.Equal(200, (await next.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).StatusCode);
    }

    [Fact]
    public async Task RequiredForStaff_WithoutTotpSupported_IsRefusedAtStartUp()
    {
        // Staff set up TOTP during the login; without it their login could neither finish nor skip the stage.
        var settings = new Dictionary<string, string?>(Required)
        {
            ["Gatehouse:Mfa:SupportedTypes:0"] = "webauthn",
            ["Gatehouse:Mfa:SupportedTypes:1"] = "recovery_codes",
        };

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => StartAsync(settings));

        Assert.Contains("Gatehouse:Mfa:RequiredForStaff", error.Message, StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task WithoutTheSetting_OrForNonStaff_NoSetupIsRequired(ClientKind kind)
    {
        var off = await StartAsync();
        await SignedUpAndVerifiedAsync(off, kind, Email);
        await MakeStaffAsync(off);
        await LoggedInAsync(off, kind, Email);

        var on = await StartAsync(Required);
        await SignedUpAndVerifiedAsync(on, kind, Email);
        await LoggedInAsync(on, kind, Email);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AnotherUsersPendingSetup_CannotBeUsedWithoutItsSession(ClientKind kind)
    {
        var app = await StartAsync(Required);
        await SignedUpAndVerifiedAsync(app, kind, Email);
        await MakeStaffAsync(app);
        var stranger = app.Client(kind);

        Assert.Equal(401, (await stranger.GetAsync("account/authenticators/totp")).StatusCode);
        Assert.Equal(401, (await stranger.PostAsync("account/authenticators/totp", new { code = "123456" })).StatusCode);
        Assert.Equal(0, await app.DbAsync(db => db.Authenticators.CountAsync()));
    }

    private static Task MakeStaffAsync(GatehouseApp app) =>
        app.DbAsync(db => db.Users.ExecuteUpdateAsync(s => s.SetProperty(u => u.IsStaff, true)));
}

public sealed class SqliteMfaStaffTests() : MfaStaffTests(DatabaseKind.Sqlite);
public sealed class PostgresMfaStaffTests() : MfaStaffTests(DatabaseKind.Postgres);
