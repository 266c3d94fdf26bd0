using System.Text.Json;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Api;

/// <summary>How long sessions and verification links live, verification during login, and GET config.</summary>
public abstract class SessionLifetimeTests(DatabaseKind database) : ApiTestBase(database)
{
    private const string Email = "alice@example.com";

    [Theory, MemberData(nameof(Clients))]
    public async Task ASession_EndsWhenItsLifetimeHasPassed(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Sessions:Lifetime"] = "01:00:00" });
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        app.Clock.Advance(TimeSpan.FromMinutes(59));
        var before = await client.GetAsync("auth/session");
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        var after = await client.GetAsync("auth/session");

        Assert.Equal(200, before.StatusCode);
        if (kind == ClientKind.App)
        {
            Assert.Equal(410, after.StatusCode);
            Assert.Null(after.IsAuthenticated);
        }
        else
        {
            Assert.Equal(401, after.StatusCode);
            Assert.False(after.IsAuthenticated);
        }
        // An expired session is not listed, and the user can log in again.
        var again = await LoggedInAsync(app, kind, Email);
        Assert.Single((await again.GetAsync("auth/sessions")).Data.EnumerateArray());
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ASession_LastsTwoWeeksByDefault(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        app.Clock.Advance(TimeSpan.FromDays(14) - TimeSpan.FromMinutes(1));
        var before = await client.GetAsync("auth/session");
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        var after = await client.GetAsync("auth/session");

        Assert.Equal(200, before.StatusCode);
        Assert.Equal(kind == ClientKind.App ? 410 : 401, after.StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AVerificationLink_ExpiresAfterEmailConfirmationExpiry(ClientKind kind)
    {
        var app = await StartAsync();
        var client = app.Client(kind);
        await client.PostAsync("auth/signup", new { email = Email, password = Password });
        var key = await VerificationKeyAsync(app, Email);
        var header = new Dictionary<string, string> { ["X-Email-Verification-Key"] = key };

        // A link works wherever it is opened; a fresh client each time (the signup's own pending session is long gone).
        app.Clock.Advance(TimeSpan.FromDays(3) - TimeSpan.FromMinutes(1));
        var stillGood = await app.Client(kind).GetAsync("auth/email/verify", header);
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        var info = await app.Client(kind).GetAsync("auth/email/verify", header);
        var verify = await app.Client(kind).PostAsync("auth/email/verify", new { key });

        Assert.Equal(200, stillGood.StatusCode);
        Assert.Equal(400, info.StatusCode);
        Assert.Equal(["invalid_or_expired_key@key"], info.ErrorCodes);
        Assert.Equal(["invalid_or_expired_key@key"], verify.ErrorCodes);
        var login = await app.Client(kind).PostAsync("auth/login", new { email = Email, password = Password });
        Assert.Equal("verify_email", login.PendingFlow);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AVerificationLink_ExpiresAfterAConfiguredExpiry(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:EmailConfirmationExpiry"] = "01:00:00" });
        var client = app.Client(kind);
        await client.PostAsync("auth/signup", new { email = Email, password = Password });
        var key = await VerificationKeyAsync(app, Email);

        app.Clock.Advance(TimeSpan.FromMinutes(61));
        var verify = await app.Client(kind).PostAsync("auth/email/verify", new { key });

        Assert.Equal(["invalid_or_expired_key@key"], verify.ErrorCodes);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task WithLoginOnEmailConfirmationOff_VerifyingAnswers401_AndThePasswordThenLogsIn(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:LoginOnEmailConfirmation"] = "false" });
        var client = app.Client(kind);
        await client.PostAsync("auth/signup", new { email = Email, password = Password });
        var key = await VerificationKeyAsync(app, Email);

        var verify = await client.PostAsync("auth/email/verify", new { key });

        Assert.Equal(401, verify.StatusCode);
        Assert.False(verify.IsAuthenticated);
        Assert.Null(verify.PendingFlow);
        Assert.Equal(401, (await client.GetAsync("auth/session")).StatusCode);
        var login = await client.PostAsync("auth/login", new { email = Email, password = Password });
        Assert.Equal(200, login.StatusCode);
        Assert.True(login.IsAuthenticated);
        Assert.Equal(["invalid_or_expired_key@key"], (await app.Client(kind).PostAsync("auth/email/verify", new { key })).ErrorCodes);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task LoginOfAnUnverifiedUser_AnswersPendingVerifyEmail_AndMailsAgainOnlyAfterTheCooldown(ClientKind kind)
    {
        // The cooldown is allauth's confirm_email rate limit: on only with rate limits.
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:RateLimits:Enabled"] = "true" });
        await app.Client(kind).PostAsync("auth/signup", new { email = Email, password = Password });
        await VerificationKeyAsync(app, Email);
        Assert.Equal(1, await OutboxCountAsync(app, Email, "Confirm Your Email"));

        var early = await app.Client(kind).PostAsync("auth/login", new { email = Email, password = Password });
        Assert.Equal(401, early.StatusCode);
        Assert.Equal("verify_email", early.PendingFlow);
        Assert.Equal(["login", "login_by_code", "signup", "mfa_login_webauthn", "verify_email"], early.FlowIds);
        Assert.Equal(kind == ClientKind.App, early.SessionTokenInMeta is not null);
        Assert.Equal(1, await OutboxCountAsync(app, Email, "Confirm Your Email"));

        app.Clock.Advance(TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(1));
        var client = app.Client(kind);
        var late = await client.PostAsync("auth/login", new { email = Email, password = Password });
        Assert.Equal(401, late.StatusCode);
        Assert.Equal("verify_email", late.PendingFlow);
        Assert.Equal(2, await OutboxCountAsync(app, Email, "Confirm Your Email"));

        // The new link finishes this login.
        var key = await VerificationKeyAsync(app, Email);
        var verify = await client.PostAsync("auth/email/verify", new { key });
        Assert.Equal(200, verify.StatusCode);
        Assert.Equal("password", verify.Data.GetProperty("methods")[0].GetProperty("method").GetString());
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Config_HasAllauthsAccountShape(ClientKind kind)
    {
        var app = await StartAsync();

        var config = await app.Client(kind).GetAsync("config");

        Assert.Equal(200, config.StatusCode);
        Assert.Equal(["status", "data"], config.Json.EnumerateObject().Select(p => p.Name));
        Assert.Equal(200, config.Json.GetProperty("status").GetInt32());
        var account = config.Data.GetProperty("account");
        Assert.Equal(
            ["login_methods", "is_open_for_signup", "email_verification_by_code_enabled", "login_by_code_enabled", "password_reset_by_code_enabled", "authentication_method"],
            account.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["email"], account.GetProperty("login_methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(JsonValueKind.True, account.GetProperty("is_open_for_signup").ValueKind);
        Assert.Equal(JsonValueKind.False, account.GetProperty("email_verification_by_code_enabled").ValueKind);
        Assert.Equal(JsonValueKind.True, account.GetProperty("login_by_code_enabled").ValueKind);
        Assert.Equal(JsonValueKind.False, account.GetProperty("password_reset_by_code_enabled").ValueKind);
        Assert.Equal("email", account.GetProperty("authentication_method").GetString());
        Assert.Equal(JsonValueKind.True, config.Data.GetProperty("usersessions").GetProperty("track_activity").ValueKind);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AConfiguredLoginMethodsList_ReplacesTheDefault(ClientKind kind)
    {
        // As the README's Gatehouse__Account__LoginMethods__0=username: username only, not the default email as well.
        var app = await StartAsync(new Dictionary<string, string?>
        {
            ["Gatehouse:Account:LoginMethods:0"] = "username",
            ["Gatehouse:Account:SignupUsername"] = "true",
        });

        var account = (await app.Client(kind).GetAsync("config")).Data.GetProperty("account");

        Assert.Equal(["username"], account.GetProperty("login_methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal("username", account.GetProperty("authentication_method").GetString());
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Config_FollowsTheSettings(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?>
        {
            ["Gatehouse:Account:LoginMethods:0"] = "email",
            ["Gatehouse:Account:LoginMethods:1"] = "username",
            ["Gatehouse:Account:SignupUsername"] = "true",
            ["Gatehouse:Account:IsOpenForSignup"] = "false",
            ["Gatehouse:Account:LoginByCodeEnabled"] = "false",
            ["Gatehouse:Account:PasswordResetByCodeEnabled"] = "true",
        });

        var config = await app.Client(kind).GetAsync("config");

        var account = config.Data.GetProperty("account");
        Assert.Equal(["email", "username"], account.GetProperty("login_methods").EnumerateArray().Select(m => m.GetString()).Order(StringComparer.Ordinal));
        Assert.False(account.GetProperty("is_open_for_signup").GetBoolean());
        Assert.False(account.GetProperty("login_by_code_enabled").GetBoolean());
        Assert.True(account.GetProperty("password_reset_by_code_enabled").GetBoolean());
        Assert.Equal("username_email", account.GetProperty("authentication_method").GetString());
        // The flows offered follow the same settings.
        var session = await app.Client(kind).GetAsync("auth/session");
        Assert.Equal(["login", "mfa_login_webauthn", "password_reset_by_code"], session.FlowIds);
    }

    [Fact]
    public async Task Config_AnswersEvenWithADeadAppToken()
    {
        var app = await StartAsync();
        var client = app.Client(ClientKind.App);
        client.SessionToken = "deadtokendeadtokendeadtokendeadt";

        var config = await client.GetAsync("config");
        var session = await client.GetAsync("auth/session");

        Assert.Equal(200, config.StatusCode);
        Assert.Equal(410, session.StatusCode);
    }
}

public sealed class SqliteSessionLifetimeTests() : SessionLifetimeTests(DatabaseKind.Sqlite);
public sealed class PostgresSessionLifetimeTests() : SessionLifetimeTests(DatabaseKind.Postgres);
