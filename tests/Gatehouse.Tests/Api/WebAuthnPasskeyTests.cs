using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Api;

/// <summary>
/// auth/webauthn/login (passkey login), auth/webauthn/reauthenticate, and auth/webauthn/signup (passkey signup),
/// with a software authenticator through the real pipeline.
/// </summary>
public abstract class WebAuthnPasskeyTests(DatabaseKind database) : WebAuthnTestBase(database)
{
    private const string LoginPath = "auth/webauthn/login";
    private const string ReauthenticatePath = "auth/webauthn/reauthenticate";
    private const string SignupPath = "auth/webauthn/signup";

    [Theory, MemberData(nameof(Clients))]
    public async Task APasskey_LogsInAlone_WithoutTheSecondFactorStage(ClientKind kind)
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        var (_, id) = await WithKeyAsync(app, kind, key, passwordless: true);
        var client = app.Client(kind);

        var options = await RequestOptionsAsync(client, LoginPath);
        Assert.Equal("required", options.GetProperty("publicKey").GetProperty("userVerification").GetString());
        Assert.Equal(0, options.GetProperty("publicKey").GetProperty("allowCredentials").GetArrayLength());
        var login = await client.PostAsync(LoginPath, new { credential = key.Get(options) });

        Assert.Equal(200, login.StatusCode);
        Assert.True(login.IsAuthenticated);
        Assert.Equal([("mfa", "webauthn", true, false)], Methods(login));
        Assert.Equal(Email, login.Data.GetProperty("user").GetProperty("email").GetString());
        Assert.Equal(1, await CounterAsync(app, id));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task APasskeyOfOneUser_NeverLogsInAnother(ClientKind kind)
    {
        var app = await StartAsync();
        using var aliceKey = new SoftwareAuthenticator();
        using var bobKey = new SoftwareAuthenticator();
        await WithKeyAsync(app, kind, aliceKey, passwordless: true);
        await WithKeyAsync(app, kind, bobKey, OtherEmail, passwordless: true);
        var bobId = await app.DbAsync(db => db.EmailAddresses.Where(e => e.Email == OtherEmail).Select(e => e.UserId).FirstAsync());
        var client = app.Client(kind);
        var options = await RequestOptionsAsync(client, LoginPath);

        // Alice's credential, claiming Bob's user handle.
        var claimed = await client.PostAsync(LoginPath, new { credential = aliceKey.Get(options, userHandleOverride: System.Text.Encoding.UTF8.GetBytes(bobId.ToString(System.Globalization.CultureInfo.InvariantCulture))) });
        var noHandle = await client.PostAsync(LoginPath, new { credential = aliceKey.Get(options, userHandleOverride: []) });
        var ok = await client.PostAsync(LoginPath, new { credential = aliceKey.Get(options) });

        Assert.Equal(["incorrect_code@credential"], claimed.ErrorCodes);
        Assert.Equal(400, noHandle.StatusCode);
        Assert.Equal(200, ok.StatusCode);
        Assert.Equal(Email, ok.Data.GetProperty("user").GetProperty("email").GetString());
    }

    public static TheoryData<ClientKind, string> Refusals()
    {
        var data = new TheoryData<ClientKind, string>();
        foreach (var kind in new[] { ClientKind.App, ClientKind.Browser })
        {
            foreach (var refusal in new[] { "unknown_credential", "no_user_verification", "origin", "rp_id", "replay", "counter", "removed" })
            {
                data.Add(kind, refusal);
            }
        }
        return data;
    }

    [Theory, MemberData(nameof(Refusals))]
    public async Task APasskeyLogin_IsRefused_ForForgedOrStaleAnswers(ClientKind kind, string refusal)
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        var (owner, id) = await WithKeyAsync(app, kind, key, passwordless: true);
        using var stranger = new SoftwareAuthenticator { UserHandle = key.UserHandle };
        var client = app.Client(kind);
        var options = await RequestOptionsAsync(client, LoginPath);
        switch (refusal)
        {
            case "no_user_verification": key.UserVerified = false; break;
            case "origin": key.Origin = "https://evil.example.net"; break;
            case "rp_id": key.RpIdOverride = "evil.example.net"; break;
            case "removed":
                Assert.Equal(200, (await owner.DeleteAsync(WebAuthnPath, new { authenticators = new[] { id } })).StatusCode);
                break;
        }
        System.Text.Json.JsonElement credential;
        if (refusal == "replay")
        {
            credential = key.Get(options);
            Assert.Equal(200, (await client.PostAsync(LoginPath, new { credential })).StatusCode);
            // A new client, waiting for its own challenge, gets the captured answer.
            client = app.Client(kind);
            await RequestOptionsAsync(client, LoginPath);
        }
        else if (refusal == "counter")
        {
            // A first login moved the counter to 1; a clone still at 0 answers the next challenge with 1 again.
            var first = app.Client(kind);
            Assert.Equal(200, (await first.PostAsync(LoginPath, new { credential = key.Get(await RequestOptionsAsync(first, LoginPath)) })).StatusCode);
            options = await RequestOptionsAsync(client, LoginPath);
            key.Counter = 0;
            credential = key.Get(options);
        }
        else
        {
            credential = refusal == "unknown_credential" ? stranger.Get(options) : key.Get(options);
        }

        var login = await client.PostAsync(LoginPath, new { credential });

        Assert.Equal(400, login.StatusCode);
        Assert.Equal(["incorrect_code@credential"], login.ErrorCodes);
        Assert.Equal(401, (await client.GetAsync("auth/session")).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task APasskeyLogin_IntoAnUnverifiedAccount_StillStopsAtVerifyEmail(ClientKind kind)
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        await WithKeyAsync(app, kind, key, passwordless: true);
        await app.DbAsync(db => db.EmailAddresses.ExecuteUpdateAsync(s => s.SetProperty(e => e.Verified, false)));
        var client = app.Client(kind);

        var login = await client.PostAsync(LoginPath, new { credential = key.Get(await RequestOptionsAsync(client, LoginPath)) });

        Assert.Equal(401, login.StatusCode);
        Assert.Equal("verify_email", login.PendingFlow);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task APasskeyLogin_WhenLoggedIn_Answers409(ClientKind kind)
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        var (client, _) = await WithKeyAsync(app, kind, key, passwordless: true);

        Assert.Equal(409, (await client.GetAsync(LoginPath)).StatusCode);
        Assert.Equal(409, (await client.PostAsync(LoginPath, new { credential = new { } })).StatusCode);
        Assert.Equal(["required@credential"], (await app.Client(kind).PostAsync(LoginPath, new { })).ErrorCodes);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Reauthenticating_WithTheKey_RecordsAReauthenticatedMfaMethod_AndUnlocksManagement(ClientKind kind)
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        using var other = new SoftwareAuthenticator();
        var (client, _) = await WithKeyAsync(app, kind, key);
        await WithKeyAsync(app, kind, other, OtherEmail);
        app.Clock.Advance(TimeSpan.FromSeconds(301));
        Assert.Equal(401, (await client.GetAsync(WebAuthnPath)).StatusCode);

        var options = await RequestOptionsAsync(client, ReauthenticatePath);
        var stranger = await client.PostAsync(ReauthenticatePath, new { credential = other.Get(options) });
        var done = await client.PostAsync(ReauthenticatePath, new { credential = key.Get(options) });
        var replay = await client.PostAsync(ReauthenticatePath, new { credential = key.Get(options) });

        Assert.Equal(["incorrect_code@credential"], stranger.ErrorCodes);
        Assert.Equal(200, done.StatusCode);
        Assert.Equal(("mfa", "webauthn", false, true), Methods(done)[^1]);
        Assert.Equal(["incorrect_code@credential"], replay.ErrorCodes);
        Assert.Equal(200, (await client.GetAsync(WebAuthnPath)).StatusCode);
        Assert.Equal(401, (await app.Client(kind).GetAsync(ReauthenticatePath)).StatusCode);
    }

    private static Dictionary<string, string?> PasskeySignup => new()
    {
        ["Gatehouse:Mfa:PasskeySignupEnabled"] = "true",
        ["Gatehouse:Account:EmailVerificationByCodeEnabled"] = "true",
    };

    [Theory, MemberData(nameof(Clients))]
    public async Task APasskeySignup_VerifiesTheAddress_ThenRegistersThePasskey_AndLogsInWithoutAPassword(ClientKind kind)
    {
        var app = await StartAsync(PasskeySignup);
        using var key = new SoftwareAuthenticator();
        var client = app.Client(kind);

        var early = await client.GetAsync(SignupPath);
        var signup = await client.PostAsync(SignupPath, new { email = Email });
        var code = (await MailToAsync(app, Email, "Confirm Your Email")).CodeLine();
        var tooEarly = await client.GetAsync(SignupPath);
        var verified = await client.PostAsync("auth/email/verify", new { key = code });
        var options = await client.GetAsync(SignupPath);
        var creation = options.Data.GetProperty("creation_options");
        Assert.Equal("required", creation.GetProperty("publicKey").GetProperty("authenticatorSelection").GetProperty("residentKey").GetString());
        var done = await client.PutAsync(SignupPath, new { name = "Phone", credential = key.Create(creation) });

        Assert.Equal(409, early.StatusCode);
        Assert.Equal(401, signup.StatusCode);
        Assert.Equal("verify_email", signup.PendingFlow);
        Assert.Equal(409, tooEarly.StatusCode);
        Assert.Equal("mfa_signup_webauthn", verified.PendingFlow);
        Assert.Equal(200, done.StatusCode);
        Assert.True(done.IsAuthenticated);
        Assert.False(done.Data.GetProperty("user").GetProperty("has_usable_password").GetBoolean());
        Assert.Equal(400, (await app.Client(kind).PostAsync("auth/login", new { email = Email, password = "!" })).StatusCode);
        // The new passkey logs in alone.
        var later = app.Client(kind);
        var login = await later.PostAsync(LoginPath, new { credential = key.Get(await RequestOptionsAsync(later, LoginPath)) });
        Assert.Equal(200, login.StatusCode);
        Assert.Equal(1, await WebAuthnCountAsync(app));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task APasskeySignup_RefusesAForgedPasskey_AndStaysAtItsStage(ClientKind kind)
    {
        var app = await StartAsync(PasskeySignup);
        using var key = new SoftwareAuthenticator { Origin = "https://evil.example.net" };
        var client = app.Client(kind);
        Assert.Equal(401, (await client.PostAsync(SignupPath, new { email = Email })).StatusCode);
        var code = (await MailToAsync(app, Email, "Confirm Your Email")).CodeLine();
        Assert.Equal("mfa_signup_webauthn", (await client.PostAsync("auth/email/verify", new { key = code })).PendingFlow);
        var options = await client.GetAsync(SignupPath);

        var forged = await client.PutAsync(SignupPath, new { credential = key.Create(options.Data.GetProperty("creation_options")) });
        var malformed = await client.PutAsync(SignupPath, new { credential = new { response = 1 } });

        Assert.Equal(["incorrect_code"], forged.ErrorCodes);
        Assert.Equal(["incorrect_code"], malformed.ErrorCodes);
        Assert.Equal("mfa_signup_webauthn", (await client.GetAsync("auth/session")).PendingFlow);
        Assert.Equal(0, await WebAuthnCountAsync(app));
    }
}

public sealed class SqliteWebAuthnPasskeyTests() : WebAuthnPasskeyTests(DatabaseKind.Sqlite);
public sealed class PostgresWebAuthnPasskeyTests() : WebAuthnPasskeyTests(DatabaseKind.Postgres);
