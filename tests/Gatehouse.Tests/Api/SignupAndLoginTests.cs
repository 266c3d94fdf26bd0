using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Api;

public abstract class SignupAndLoginTests(DatabaseKind database) : ApiTestBase(database)
{
    [Theory, MemberData(nameof(Clients))]
    public async Task Signup_WithMandatoryVerification_AnswersPendingVerifyEmail(ClientKind kind)
    {
        var app = await StartAsync();
        var client = app.Client(kind);

        var response = await client.PostAsync("auth/signup", new { email = "alice@example.com", password = Password });

        Assert.Equal(401, response.StatusCode);
        Assert.Equal("verify_email", response.PendingFlow);
        Assert.Equal(["login", "login_by_code", "signup", "mfa_login_webauthn", "verify_email"], response.FlowIds);
        Assert.False(response.IsAuthenticated);
        Assert.Equal(kind == ClientKind.App, response.SessionTokenInMeta is not null);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task VerifyingTheMailedLink_DuringSignup_LogsTheUserIn(ClientKind kind)
    {
        var app = await StartAsync();
        var client = app.Client(kind);
        await client.PostAsync("auth/signup", new { email = "alice@example.com", password = Password });
        var key = await VerificationKeyAsync(app, "alice@example.com");

        var info = await client.GetAsync("auth/email/verify", new Dictionary<string, string> { ["X-Email-Verification-Key"] = key });
        Assert.Equal(200, info.StatusCode);
        Assert.Equal("alice@example.com", info.Data.GetProperty("email").GetString());
        Assert.True(info.Meta.GetProperty("is_authenticating").GetBoolean());

        var verify = await client.PostAsync("auth/email/verify", new { key });
        Assert.Equal(200, verify.StatusCode);
        Assert.True(verify.IsAuthenticated);
        Assert.Equal("alice", verify.Data.GetProperty("user").GetProperty("username").GetString());

        var session = await client.GetAsync("auth/session");
        Assert.Equal(200, session.StatusCode);

        var again = await client.PostAsync("auth/email/verify", new { key });
        Assert.Equal(["invalid_or_expired_key@key"], again.ErrorCodes);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Login_WithRightPassword_AuthenticatesAndLogoutEndsTheSession(ClientKind kind)
    {
        var app = await StartAsync();
        var signup = await SignedUpAndVerifiedAsync(app, kind, "alice@example.com");
        await signup.DeleteAsync("auth/session");

        var client = app.Client(kind);
        var login = await client.PostAsync("auth/login", new { email = "ALICE@example.com", password = Password });
        Assert.Equal(200, login.StatusCode);
        Assert.Equal("password", login.Data.GetProperty("methods")[0].GetProperty("method").GetString());
        var token = client.SessionToken;

        var logout = await client.DeleteAsync("auth/session");
        Assert.Equal(401, logout.StatusCode);

        var after = await client.GetAsync("auth/session");
        if (kind == ClientKind.App)
        {
            Assert.Equal(410, after.StatusCode);
            Assert.Null(after.IsAuthenticated);
            Assert.NotNull(token);
        }
        else
        {
            Assert.Equal(401, after.StatusCode);
        }
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Login_WithWrongPasswordOrUnknownEmail_AnswersTheSameError(ClientKind kind)
    {
        var app = await StartAsync();
        await SignedUpAndVerifiedAsync(app, kind, "alice@example.com");
        var client = app.Client(kind);

        var wrong = await client.PostAsync("auth/login", new { email = "alice@example.com", password = "not-the-password" });
        var unknown = await client.PostAsync("auth/login", new { email = "nobody@example.com", password = "not-the-password" });

        Assert.Equal(400, wrong.StatusCode);
        Assert.Equal(["email_password_mismatch@password"], wrong.ErrorCodes);
        Assert.Equal(wrong.Body, unknown.Body);
    }
}

public sealed class SqliteSignupAndLoginTests() : SignupAndLoginTests(DatabaseKind.Sqlite);
public sealed class PostgresSignupAndLoginTests() : SignupAndLoginTests(DatabaseKind.Postgres);
