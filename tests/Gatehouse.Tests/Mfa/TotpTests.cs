using Gatehouse.Configuration;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Mfa;

/// <summary>account/authenticators/totp: set-up, activation, deactivation, and TOTP at login (replay, bad input).</summary>
public abstract class TotpTests(DatabaseKind database) : MfaTestBase(database)
{
    [Theory, MemberData(nameof(Clients))]
    public async Task GettingWhileInactive_Answers404WithASecretAndItsUrl_AndItsCodeActivates(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Mfa:TotpIssuer"] = "Gatehouse Test" });
        var client = await VerifiedAndLoggedInAsync(app, kind);

        var offer = await client.GetAsync("account/authenticators/totp");
        Assert.Equal(404, offer.StatusCode);
        var secret = offer.Meta.GetProperty("secret").GetString()!;
        Assert.Matches("^[A-Z2-7]{32}$", secret);
        Assert.Equal($"otpauth://totp/alice%40example.com?secret={secret}&issuer=Gatehouse%20Test", offer.Meta.GetProperty("totp_url").GetString());

        var activated = await client.PostAsync("account/authenticators/totp", new { code = TotpCode(app, secret) });

        Assert.Equal(200, activated.StatusCode);
        Assert.Equal("totp", activated.Data.GetProperty("type").GetString());
        Assert.True(activated.Meta.GetProperty("recovery_codes_generated").GetBoolean());
        var now = await client.GetAsync("account/authenticators/totp");
        Assert.Equal(200, now.StatusCode);
        Assert.Equal("totp", now.Data.GetProperty("type").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, now.Data.GetProperty("last_used_at").ValueKind);
        await MailToAsync(app, Email, "Authenticator App Activated");
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TheSecret_IsStoredSealed_NeverInClear(ClientKind kind)
    {
        var app = await StartAsync();
        var (_, secret, _) = await TotpUserAsync(app, kind);

        var data = await app.DbAsync(db => db.Authenticators.Where(a => a.Type == "totp").Select(a => a.Data).SingleAsync());
        var sessions = await app.DbAsync(db => db.Sessions.Select(s => s.State).ToListAsync());

        Assert.DoesNotContain(secret, data, StringComparison.Ordinal);
        Assert.Contains("gh1:", data, StringComparison.Ordinal);
        Assert.All(sessions, state => Assert.DoesNotContain(secret, state ?? "", StringComparison.Ordinal));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ActivatingWithBadInput_Answers400WithAllauthsCodes_AndActivatesNothing(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await VerifiedAndLoggedInAsync(app, kind);
        var secret = (await client.GetAsync("account/authenticators/totp")).Meta.GetProperty("secret").GetString()!;
        var right = TotpCode(app, secret);
        var wrong = right == "000000" ? "111111" : "000000";

        Assert.Equal(["incorrect_code@code"], (await client.PostAsync("account/authenticators/totp", new { code = wrong })).ErrorCodes);
        Assert.Equal(["required@code"], (await client.PostAsync("account/authenticators/totp", new { })).ErrorCodes);
        Assert.Equal(["invalid@code"], (await client.PostAsync("account/authenticators/totp", new { code = 123456 })).ErrorCodes);
        Assert.Equal(["max_length@code"], (await client.PostAsync("account/authenticators/totp", new { code = new string('1', 65) })).ErrorCodes);
        Assert.Equal(["incorrect_code@code"], (await client.PostAsync("account/authenticators/totp", new { code = right + "0" })).ErrorCodes);
        Assert.Equal(["invalid_json"], (await client.PostAsync("account/authenticators/totp", "[1]")).ErrorCodes);

        Assert.Equal(0, await app.DbAsync(db => db.Authenticators.CountAsync()));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ActivatingWithoutBeingOfferedASecret_IsRefused(ClientKind kind)
    {
        var app = await StartAsync();
        var offered = await VerifiedAndLoggedInAsync(app, kind);
        var secret = (await offered.GetAsync("account/authenticators/totp")).Meta.GetProperty("secret").GetString()!;
        // Another session of the same user never asked for a secret: a code for the first one's secret does nothing there.
        var other = await LoggedInAsync(app, kind, Email);

        var activated = await other.PostAsync("account/authenticators/totp", new { code = TotpCode(app, secret) });

        Assert.Equal(["incorrect_code@code"], activated.ErrorCodes);
        Assert.Equal(0, await app.DbAsync(db => db.Authenticators.CountAsync()));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AUserWithAnUnverifiedAddress_CannotSetUpTotp(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await VerifiedAndLoggedInAsync(app, kind);
        Assert.Equal(200, (await client.PostAsync("account/email", new { email = "second@example.com" })).StatusCode);

        var offer = await client.GetAsync("account/authenticators/totp");

        Assert.Equal(409, offer.StatusCode);
        Assert.Equal(["unverified_email"], offer.ErrorCodes);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Login_StopsAtMfaAuthenticate_WithTypes_AndTheTotpCodeFinishesIt(ClientKind kind)
    {
        var app = await StartAsync();
        var (_, secret, _) = await TotpUserAsync(app, kind);
        NextStep(app);
        var client = app.Client(kind);

        var login = await client.PostAsync("auth/login", new { email = Email, password = Password });

        Assert.Equal(401, login.StatusCode);
        Assert.False(login.IsAuthenticated);
        Assert.Equal("mfa_authenticate", login.PendingFlow);
        Assert.Equal(["recovery_codes", "totp"], Types(PendingMfa(login)));
        Assert.Equal(401, (await client.GetAsync("auth/session")).StatusCode);
        Assert.Equal(401, (await client.GetAsync("account/authenticators")).StatusCode);

        var done = await client.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) });

        Assert.Equal(200, done.StatusCode);
        Assert.True(done.IsAuthenticated);
        var methods = done.Data.GetProperty("methods").EnumerateArray().ToList();
        Assert.Equal(["password", "mfa"], methods.Select(m => m.GetProperty("method").GetString()));
        Assert.Equal("totp", methods[1].GetProperty("type").GetString());
        var totpId = await app.DbAsync(db => db.Authenticators.Where(a => a.Type == "totp").Select(a => a.Id).SingleAsync());
        Assert.Equal(totpId, methods[1].GetProperty("id").GetInt64());
        Assert.False(methods[1].TryGetProperty("reauthenticated", out _));
        Assert.Equal(200, (await client.GetAsync("auth/session")).StatusCode);
        Assert.NotEqual(System.Text.Json.JsonValueKind.Null,
            (await client.GetAsync("account/authenticators/totp")).Data.GetProperty("last_used_at").ValueKind);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AuthenticatingWithBadInput_Answers400_AndTheStageStaysPending(ClientKind kind)
    {
        var app = await StartAsync();
        var (_, secret, _) = await TotpUserAsync(app, kind);
        NextStep(app);
        var client = await AtMfaStageAsync(app, kind);

        Assert.Equal(["required@code"], (await client.PostAsync("auth/2fa/authenticate", new { })).ErrorCodes);
        Assert.Equal(["invalid@code"], (await client.PostAsync("auth/2fa/authenticate", new { code = new[] { "1" } })).ErrorCodes);
        Assert.Equal(["max_length@code"], (await client.PostAsync("auth/2fa/authenticate", new { code = new string('1', 100) })).ErrorCodes);
        Assert.Equal(["invalid_json"], (await client.PostAsync("auth/2fa/authenticate", "\"x\"")).ErrorCodes);

        Assert.Equal(200, (await client.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AuthenticatingWithoutAPendingStage_Answers401(ClientKind kind)
    {
        var app = await StartAsync();
        var (_, secret, _) = await TotpUserAsync(app, kind);
        NextStep(app);

        var answer = await app.Client(kind).PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) });

        Assert.Equal(401, answer.StatusCode);
        Assert.Null(answer.PendingFlow);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ACodeThatWasAccepted_IsRefusedForTheRestOfItsWindow(ClientKind kind)
    {
        var app = await StartAsync();
        var (_, secret, _) = await TotpUserAsync(app, kind);
        NextStep(app);
        var code = TotpCode(app, secret);
        var first = await AtMfaStageAsync(app, kind);
        Assert.Equal(200, (await first.PostAsync("auth/2fa/authenticate", new { code })).StatusCode);

        // Still inside the code's window (and the tolerance), but it was used.
        app.Clock.Advance(TimeSpan.FromSeconds(20));
        var second = await AtMfaStageAsync(app, kind);
        var replay = await second.PostAsync("auth/2fa/authenticate", new { code });

        Assert.Equal(400, replay.StatusCode);
        Assert.Equal(["incorrect_code@code"], replay.ErrorCodes);
        Assert.Equal(401, (await second.GetAsync("auth/session")).StatusCode);
        NextStep(app);
        Assert.Equal(200, (await second.PostAsync("auth/2fa/authenticate", new { code = TotpCode(app, secret) })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TheCodeThatActivatedTotp_CannotLogIn(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await VerifiedAndLoggedInAsync(app, kind);
        var secret = (await client.GetAsync("account/authenticators/totp")).Meta.GetProperty("secret").GetString()!;
        var code = TotpCode(app, secret);
        Assert.Equal(200, (await client.PostAsync("account/authenticators/totp", new { code })).StatusCode);

        var login = await AtMfaStageAsync(app, kind);

        Assert.Equal(["incorrect_code@code"], (await login.PostAsync("auth/2fa/authenticate", new { code })).ErrorCodes);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TwentyConcurrentSubmitsOfOneCode_LogInOnce(ClientKind kind)
    {
        var app = await StartAsync();
        var (_, secret, _) = await TotpUserAsync(app, kind);
        NextStep(app);
        var code = TotpCode(app, secret);
        var clients = new List<ApiClient>();
        for (var i = 0; i < 20; i++)
        {
            clients.Add(await AtMfaStageAsync(app, kind));
        }

        var answers = await Task.WhenAll(clients.Select(c => c.PostAsync("auth/2fa/authenticate", new { code })));

        Assert.Equal(1, answers.Count(a => a.StatusCode == 200));
        Assert.All(answers.Where(a => a.StatusCode != 200), a => Assert.Equal(["incorrect_code@code"], a.ErrorCodes));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Deactivating_NeedsARecentAuthentication_ByPasswordOrByTotp(ClientKind kind)
    {
        var app = await StartAsync();
        var (client, secret, _) = await TotpUserAsync(app, kind);
        app.Clock.Advance(TimeSpan.FromMinutes(10));

        var refused = await client.DeleteAsync("account/authenticators/totp");

        Assert.Equal(401, refused.StatusCode);
        Assert.True(refused.IsAuthenticated);
        var flows = refused.Data.GetProperty("flows").EnumerateArray().ToList();
        Assert.Equal(["reauthenticate", "mfa_reauthenticate"], flows.Select(f => f.GetProperty("id").GetString()));
        Assert.Equal(["recovery_codes", "totp"], Types(flows[1]));
        Assert.Equal(1, await app.DbAsync(db => db.Authenticators.CountAsync(a => a.Type == "totp")));

        Assert.Equal(["required@code"], (await client.PostAsync("auth/2fa/reauthenticate", new { })).ErrorCodes);
        Assert.Equal(["invalid@code"], (await client.PostAsync("auth/2fa/reauthenticate", new { code = 123456 })).ErrorCodes);
        Assert.Equal(["invalid_json"], (await client.PostAsync("auth/2fa/reauthenticate", "[]")).ErrorCodes);
        Assert.Equal(401, (await app.Client(kind).PostAsync("auth/2fa/reauthenticate", new { code = TotpCode(app, secret) })).StatusCode);
        var wrong = await client.PostAsync("auth/2fa/reauthenticate", new { code = "000000" == TotpCode(app, secret) ? "111111" : "000000" });
        Assert.Equal(["incorrect_code@code"], wrong.ErrorCodes);
        var reauthenticated = await client.PostAsync("auth/2fa/reauthenticate", new { code = TotpCode(app, secret) });
        Assert.Equal(200, reauthenticated.StatusCode);
        var last = reauthenticated.Data.GetProperty("methods").EnumerateArray().Last();
        Assert.Equal("mfa", last.GetProperty("method").GetString());
        Assert.Equal("totp", last.GetProperty("type").GetString());
        Assert.True(last.GetProperty("reauthenticated").GetBoolean());

        var deleted = await client.DeleteAsync("account/authenticators/totp");

        Assert.Equal(200, deleted.StatusCode);
        Assert.Equal(404, (await client.GetAsync("account/authenticators/totp")).StatusCode);
        // The recovery codes backed up nothing any more: gone too (allauth's delete_dangling_recovery_codes).
        Assert.Equal(0, await app.DbAsync(db => db.Authenticators.CountAsync()));
        Assert.Equal(0, await app.DbAsync(db => db.RecoveryCodes.CountAsync()));
        await MailToAsync(app, Email, "Authenticator App Deactivated");
        await LoggedInAsync(app, kind, Email); // no second factor any more: the password logs in (asserts 200)
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Activating_NeedsARecentAuthentication(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await VerifiedAndLoggedInAsync(app, kind);
        var secret = (await client.GetAsync("account/authenticators/totp")).Meta.GetProperty("secret").GetString()!;
        app.Clock.Advance(TimeSpan.FromMinutes(10));

        var refused = await client.PostAsync("account/authenticators/totp", new { code = TotpCode(app, secret) });

        Assert.Equal(401, refused.StatusCode);
        Assert.Equal(["reauthenticate"], refused.FlowIds);
        Assert.Equal(0, await app.DbAsync(db => db.Authenticators.CountAsync()));
        Assert.Equal(200, (await client.PostAsync("auth/reauthenticate", new { password = Password })).StatusCode);
        Assert.Equal(200, (await client.PostAsync("account/authenticators/totp", new { code = TotpCode(app, secret) })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TotpRoutes_DoNotExist_WhenTotpIsNotSupported(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Mfa:SupportedTypes:0"] = "webauthn" });
        var client = await VerifiedAndLoggedInAsync(app, kind);

        Assert.Equal(["webauthn"], (await client.GetAsync("config")).Data.GetProperty("mfa").GetProperty("supported_types")
            .EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(404, (await client.GetAsync("account/authenticators/totp")).StatusCode);
        Assert.Equal(404, (await client.GetAsync("account/authenticators/recovery-codes")).StatusCode);
        Assert.Equal(200, (await client.GetAsync("account/authenticators")).StatusCode);
    }
}

public sealed class SqliteTotpTests() : TotpTests(DatabaseKind.Sqlite);
public sealed class PostgresTotpTests() : TotpTests(DatabaseKind.Postgres);
