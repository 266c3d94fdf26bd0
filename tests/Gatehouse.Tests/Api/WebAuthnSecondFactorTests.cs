using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Api;

/// <summary>GET/POST auth/webauthn/authenticate: a security key as the second factor of the mfa_authenticate stage.</summary>
public abstract class WebAuthnSecondFactorTests(DatabaseKind database) : WebAuthnTestBase(database)
{
    private const string AuthenticatePath = "auth/webauthn/authenticate";

    /// <summary>A new client that logged in with the password and stopped at mfa_authenticate.</summary>
    private static async Task<ApiClient> PendingMfaAsync(GatehouseApp app, ClientKind kind, string email = Email)
    {
        var client = app.Client(kind);
        var login = await client.PostAsync("auth/login", new { email, password = Password });
        Assert.Equal(401, login.StatusCode);
        Assert.Equal("mfa_authenticate", login.PendingFlow);
        return client;
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task APasswordLogin_StopsAtMfaAuthenticate_AndTheKeyCompletesIt(ClientKind kind)
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        var (_, id) = await WithKeyAsync(app, kind, key);
        var client = app.Client(kind);

        var login = await client.PostAsync("auth/login", new { email = Email, password = Password });
        var pending = login.Data.GetProperty("flows").EnumerateArray().Single(f => f.GetProperty("id").GetString() == "mfa_authenticate");
        Assert.Equal(["recovery_codes", "webauthn"], pending.GetProperty("types").EnumerateArray().Select(t => t.GetString()));
        var options = await RequestOptionsAsync(client, AuthenticatePath);
        Assert.Equal([key.CredentialIdText], options.GetProperty("publicKey").GetProperty("allowCredentials").EnumerateArray().Select(c => c.GetProperty("id").GetString()));
        var done = await client.PostAsync(AuthenticatePath, new { credential = key.Get(options) });

        Assert.Equal(200, done.StatusCode);
        Assert.True(done.IsAuthenticated);
        Assert.Equal([("password", null, false, false), ("mfa", "webauthn", false, false)], Methods(done));
        Assert.Equal(id, done.Data.GetProperty("methods")[1].GetProperty("id").GetInt64());
        Assert.Equal(1, await CounterAsync(app, id));
        Assert.NotNull(await app.DbAsync(db => db.Authenticators.Where(a => a.Id == id).Select(a => a.LastUsedAt).FirstAsync()));
        Assert.Equal(200, (await client.GetAsync("auth/session")).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ALoginWhoseSessionCannotBeSaved_Answers409_AndTheSameAssertionLogsInOnRetry(ClientKind kind)
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        var (_, id) = await WithKeyAsync(app, kind, key);
        var client = await PendingMfaAsync(app, kind);
        var credential = key.Get(await RequestOptionsAsync(client, AuthenticatePath));
        await FailingInserts.StartAsync(app, "sessions", "NEW.user_id IS NOT NULL");

        var failed = await client.PostAsync(AuthenticatePath, new { credential });

        Assert.Equal(409, failed.StatusCode);
        Assert.Equal(0, await CounterAsync(app, id)); // the sign count rolled back with the login
        await FailingInserts.StopAsync(app, "sessions");
        // The ceremony's challenge rolled back too: the very answer that was refused is still good once.
        Assert.Equal(200, (await client.PostAsync(AuthenticatePath, new { credential })).StatusCode);
        Assert.Equal(1, await CounterAsync(app, id));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AnotherUsersKey_CannotBeTheSecondFactor(ClientKind kind)
    {
        var app = await StartAsync();
        using var aliceKey = new SoftwareAuthenticator();
        using var bobKey = new SoftwareAuthenticator();
        await WithKeyAsync(app, kind, aliceKey);
        await WithKeyAsync(app, kind, bobKey, OtherEmail);
        var client = await PendingMfaAsync(app, kind);

        var options = await RequestOptionsAsync(client, AuthenticatePath);
        var answer = await client.PostAsync(AuthenticatePath, new { credential = bobKey.Get(options) });

        Assert.Equal(400, answer.StatusCode);
        Assert.Equal(["incorrect_code@credential"], answer.ErrorCodes);
        var session = await client.GetAsync("auth/session");
        Assert.Equal(401, session.StatusCode);
        Assert.Equal("mfa_authenticate", session.PendingFlow);
        // Alice's own key still completes the same flow.
        Assert.Equal(200, (await client.PostAsync(AuthenticatePath, new { credential = aliceKey.Get(options) })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AReplayedAssertion_IsRefused_InTheSameFlowAndInALaterOne(ClientKind kind)
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        await WithKeyAsync(app, kind, key);
        var first = await PendingMfaAsync(app, kind);
        var options = await RequestOptionsAsync(first, AuthenticatePath);
        var assertion = key.Get(options);
        var concurrent = app.Client(kind);
        Assert.Equal(401, (await concurrent.PostAsync("auth/login", new { email = Email, password = Password })).StatusCode);
        var concurrentOptions = await RequestOptionsAsync(concurrent, AuthenticatePath);

        Assert.Equal(200, (await first.PostAsync(AuthenticatePath, new { credential = assertion })).StatusCode);
        // The captured answer, sent in another login waiting for its own challenge.
        var replay = await concurrent.PostAsync(AuthenticatePath, new { credential = assertion });

        Assert.Equal(400, replay.StatusCode);
        Assert.Equal(["incorrect_code@credential"], replay.ErrorCodes);
        Assert.Equal(200, (await concurrent.PostAsync(AuthenticatePath, new { credential = key.Get(concurrentOptions) })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ACounterThatDidNotGrow_IsRefused_AndTheStoredCounterStays(ClientKind kind)
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        var (_, id) = await WithKeyAsync(app, kind, key);
        var client = await PendingMfaAsync(app, kind);
        var options = await RequestOptionsAsync(client, AuthenticatePath);
        key.Counter = 9; // the next assertion says 10
        Assert.Equal(200, (await client.PostAsync(AuthenticatePath, new { credential = key.Get(options) })).StatusCode);
        Assert.Equal(10, await CounterAsync(app, id));

        var clone = await PendingMfaAsync(app, kind);
        var cloneOptions = await RequestOptionsAsync(clone, AuthenticatePath);
        key.Counter = 4; // a cloned authenticator, behind the original
        var refused = await clone.PostAsync(AuthenticatePath, new { credential = key.Get(cloneOptions) });
        key.Counter = 9; // equal is not greater either
        var equal = await clone.PostAsync(AuthenticatePath, new { credential = key.Get(cloneOptions) });
        // A counter of 0 is "no counter" only for a credential that never had one: it must not reset clone detection.
        var zeroOptions = await RequestOptionsAsync(clone, AuthenticatePath);
        key.Counter = uint.MaxValue; // the next assertion says 0
        var zero = await clone.PostAsync(AuthenticatePath, new { credential = key.Get(zeroOptions) });

        Assert.Equal(["incorrect_code@credential"], refused.ErrorCodes);
        Assert.Equal(["incorrect_code@credential"], equal.ErrorCodes);
        Assert.Equal(["incorrect_code@credential"], zero.ErrorCodes);
        Assert.Equal(10, await CounterAsync(app, id));
        Assert.Equal("mfa_authenticate", (await clone.GetAsync("auth/session")).PendingFlow);
    }

    public static TheoryData<ClientKind, string> Forgeries()
    {
        var data = new TheoryData<ClientKind, string>();
        foreach (var kind in new[] { ClientKind.App, ClientKind.Browser })
        {
            foreach (var forgery in new[] { "origin", "rp_id", "challenge", "signature", "no_options", "expired" })
            {
                data.Add(kind, forgery);
            }
        }
        return data;
    }

    [Theory, MemberData(nameof(Forgeries))]
    public async Task AForgedAssertion_IsRefused_AndTheFlowStaysPending(ClientKind kind, string forgery)
    {
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        var (_, id) = await WithKeyAsync(app, kind, key);
        var client = await PendingMfaAsync(app, kind);
        var options = await RequestOptionsAsync(client, AuthenticatePath);
        using var impostor = new SoftwareAuthenticator();
        switch (forgery)
        {
            case "origin": key.Origin = "https://evil.example.net"; break;
            case "rp_id": key.RpIdOverride = "evil.example.net"; break;
        }
        var credential = forgery switch
        {
            "challenge" => key.Get(options, challengeOverride: SoftwareAuthenticator.Base64Url(new byte[16])),
            // Alice's credential id, signed with another key.
            "signature" => System.Text.Json.JsonSerializer.SerializeToElement(System.Text.Json.Nodes.JsonNode.Parse(impostor.Get(options).GetRawText())!.AsObject()
                .Also(o => { o["id"] = key.CredentialIdText; o["rawId"] = key.CredentialIdText; })),
            _ => key.Get(options),
        };
        if (forgery == "no_options")
        {
            client = await PendingMfaAsync(app, kind);
        }
        if (forgery == "expired")
        {
            app.Clock.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));
        }

        var answer = await client.PostAsync(AuthenticatePath, new { credential });

        Assert.Equal(400, answer.StatusCode);
        Assert.Equal(["incorrect_code@credential"], answer.ErrorCodes);
        Assert.Equal(0, await CounterAsync(app, id));
        Assert.Equal("mfa_authenticate", (await client.GetAsync("auth/session")).PendingFlow);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task WithoutAPendingMfaStage_TheEndpointsAnswer401WithTheFlows(ClientKind kind)
    {
        // allauth's AuthenticationStageAPIView: no such stage pending is its UnauthorizedResponse.
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        var (loggedIn, _) = await WithKeyAsync(app, kind, key);

        var get = await app.Client(kind).GetAsync(AuthenticatePath);
        var post = await app.Client(kind).PostAsync(AuthenticatePath, new { credential = new { } });
        var getLoggedIn = await loggedIn.GetAsync(AuthenticatePath);

        Assert.All(new[] { get, post, getLoggedIn }, r => Assert.Equal(401, r.StatusCode));
        Assert.Contains("login", get.Data.GetProperty("flows").EnumerateArray().Select(f => f.GetProperty("id").GetString()));
        Assert.Equal(200, (await loggedIn.GetAsync("auth/session")).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task FailedKeys_CountAgainstTheAccountsLoginFailedLimit_AcrossFreshLogins(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:RateLimits:Enabled"] = "true" });
        using var key = new SoftwareAuthenticator();
        await WithKeyAsync(app, kind, key);

        // login_failed allows 5 per 5 minutes under mfa-auth-user-<id>; the stage's own 5 attempts restart with
        // every login, so the guesses are spread over fresh logins to reach the per-user limit.
        var answers = new List<ApiResponse>();
        foreach (var guesses in new[] { 3, 2 })
        {
            var login = await PendingMfaAsync(app, kind);
            var options = await RequestOptionsAsync(login, AuthenticatePath);
            key.Origin = "https://evil.example.net";
            for (var i = 0; i < guesses; i++)
            {
                answers.Add(await login.PostAsync(AuthenticatePath, new { credential = key.Get(options) }));
            }
            key.Origin = "https://localhost";
        }
        var last = await PendingMfaAsync(app, kind);
        var right = await last.PostAsync(AuthenticatePath, new { credential = key.Get(await RequestOptionsAsync(last, AuthenticatePath)) });

        Assert.All(answers, a => Assert.Equal(["incorrect_code@credential"], a.ErrorCodes));
        Assert.Equal(["too_many_login_attempts@credential"], right.ErrorCodes);
        Assert.Equal("mfa_authenticate", (await last.GetAsync("auth/session")).PendingFlow);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task WrongKeysAndWrongTotpCodes_ShareTheStagesAttempts_AndTheLoginEndsWhenTheyAreGone(ClientKind kind)
    {
        // Regression (security review): the key skipped the stage's attempt count, so with TOTP's attempts
        // used up an attacker could keep guessing with assertions within the same pending login.
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        var (client, _) = await WithKeyAsync(app, kind, key);
        var offer = await client.GetAsync("account/authenticators/totp");
        var secret = offer.Meta.GetProperty("secret").GetString()!;
        var totp = new OtpNet.Totp(OtpNet.Base32Encoding.ToBytes(secret));
        Assert.Equal(200, (await client.PostAsync("account/authenticators/totp", new { code = totp.ComputeTotp(app.Clock.GetUtcNow().UtcDateTime) })).StatusCode);
        var login = await PendingMfaAsync(app, kind);

        var now = app.Clock.GetUtcNow().UtcDateTime;
        var valid = new[] { -30, 0, 30 }.Select(s => totp.ComputeTotp(now.AddSeconds(s))).ToHashSet();
        var wrong = new[] { "000000", "111111", "222222", "333333" }.First(c => !valid.Contains(c));
        var wrongCodes = new List<ApiResponse>();
        for (var i = 0; i < 3; i++)
        {
            wrongCodes.Add(await login.PostAsync("auth/2fa/authenticate", new { code = wrong }));
        }
        var options = await RequestOptionsAsync(login, AuthenticatePath);
        key.Origin = "https://evil.example.net";
        var wrongKeys = new List<ApiResponse>();
        for (var i = 0; i < 2; i++)
        {
            wrongKeys.Add(await login.PostAsync(AuthenticatePath, new { credential = key.Get(options) }));
        }
        key.Origin = "https://localhost";
        var right = await login.PostAsync(AuthenticatePath, new { credential = key.Get(options) });

        Assert.All(wrongCodes, a => Assert.Equal(["incorrect_code@code"], a.ErrorCodes));
        Assert.All(wrongKeys, a => Assert.Equal(["incorrect_code@credential"], a.ErrorCodes));
        Assert.Equal(["too_many_login_attempts@credential"], right.ErrorCodes);
        var session = await login.GetAsync("auth/session");
        Assert.Equal(401, session.StatusCode);
        Assert.Null(session.PendingFlow);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ADeactivatedUsersPendingLogin_CannotFinishWithAKey(ClientKind kind)
    {
        // Regression (security review): the key's path skipped MfaFlow's is_active check that TOTP and recovery codes get.
        var app = await StartAsync();
        using var key = new SoftwareAuthenticator();
        await WithKeyAsync(app, kind, key);
        var login = await PendingMfaAsync(app, kind);
        var options = await RequestOptionsAsync(login, AuthenticatePath);
        await app.DbAsync(db => db.Users.ExecuteUpdateAsync(s => s.SetProperty(u => u.IsActive, false)));

        var answer = await login.PostAsync(AuthenticatePath, new { credential = key.Get(options) });

        Assert.NotEqual(200, answer.StatusCode);
        Assert.Equal(401, (await login.GetAsync("auth/session")).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ALoginByCode_AlsoStopsAtTheKey(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:LoginByCodeEnabled"] = "true" });
        using var key = new SoftwareAuthenticator();
        await WithKeyAsync(app, kind, key);
        app.Mail.Clear();
        var client = app.Client(kind);
        Assert.Equal(401, (await client.PostAsync("auth/code/request", new { email = Email })).StatusCode);
        var code = (await MailToAsync(app, Email, "Sign-In Code")).CodeLine();

        var confirmed = await client.PostAsync("auth/code/confirm", new { code });
        var options = await RequestOptionsAsync(client, AuthenticatePath);
        var done = await client.PostAsync(AuthenticatePath, new { credential = key.Get(options) });

        Assert.Equal("mfa_authenticate", confirmed.PendingFlow);
        Assert.Equal(200, done.StatusCode);
        Assert.Equal(["code", "mfa"], Methods(done).Select(m => m.Method));
    }
}

internal static class JsonObjectExtensions
{
    public static T Also<T>(this T value, Action<T> action)
    {
        action(value);
        return value;
    }
}

public sealed class SqliteWebAuthnSecondFactorTests() : WebAuthnSecondFactorTests(DatabaseKind.Sqlite);
public sealed class PostgresWebAuthnSecondFactorTests() : WebAuthnSecondFactorTests(DatabaseKind.Postgres);
