using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Api;

/// <summary>auth/email/verify and auth/email/verify/resend with ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED.</summary>
public abstract class EmailVerificationByCodeTests(DatabaseKind database) : ApiTestBase(database)
{
    private const string Email = "alice@example.com";

    protected override IDictionary<string, string?> Settings =>
        new Dictionary<string, string?> { ["Gatehouse:Account:EmailVerificationByCodeEnabled"] = "true" };

    private static Dictionary<string, string> KeyHeader(string key) => new() { ["X-Email-Verification-Key"] = key };

    private static async Task<string> CodeMailedToAsync(GatehouseApp app, string email)
    {
        var mail = await MailToAsync(app, email, "Confirm Your Email");
        var code = mail.CodeLine();
        Assert.NotNull(code);
        return code;
    }

    private static async Task<(ApiClient Client, ApiResponse Signup, string Code)> SignedUpAsync(GatehouseApp app, ClientKind kind)
    {
        var client = app.Client(kind);
        var signup = await client.PostAsync("auth/signup", new { email = Email, password = Password });
        return (client, signup, await CodeMailedToAsync(app, Email));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Signup_AnswersPendingVerifyEmail_AndMailsACodeInsteadOfALink(ClientKind kind)
    {
        var app = await StartAsync();

        var (_, signup, code) = await SignedUpAsync(app, kind);

        Assert.Equal(401, signup.StatusCode);
        Assert.Equal("verify_email", signup.PendingFlow);
        Assert.False(signup.IsAuthenticated);
        Assert.Matches("^[A-Z]{4}-[A-Z]{4}$", code);
        Assert.Equal(0, await app.DbAsync(db => Task.FromResult(db.VerificationKeys.Count())));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TheCode_InTheHeader_ShowsTheAddressBeingVerified(ClientKind kind)
    {
        var app = await StartAsync();
        var (client, _, code) = await SignedUpAsync(app, kind);

        var info = await client.GetAsync("auth/email/verify", KeyHeader(code));

        Assert.Equal(200, info.StatusCode);
        Assert.Equal(Email, info.Data.GetProperty("email").GetString());
        Assert.Equal("alice", info.Data.GetProperty("user").GetProperty("username").GetString());
        Assert.True(info.Meta.GetProperty("is_authenticating").GetBoolean());
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task PostingTheCode_VerifiesTheAddress_AndLogsInWithANewSession(ClientKind kind)
    {
        var app = await StartAsync();
        var (client, signup, code) = await SignedUpAsync(app, kind);
        var pendingCookie = client.Cookie("sessionid");

        var verify = await client.PostAsync("auth/email/verify", new { key = code });

        Assert.Equal(200, verify.StatusCode);
        Assert.True(verify.IsAuthenticated);
        Assert.Equal(Email, verify.Data.GetProperty("user").GetProperty("email").GetString());
        if (kind == ClientKind.App)
        {
            Assert.NotNull(verify.SessionTokenInMeta);
            Assert.NotEqual(signup.SessionTokenInMeta, verify.SessionTokenInMeta);
        }
        else
        {
            Assert.NotEqual(pendingCookie, client.Cookie("sessionid"));
        }
        var emails = await client.GetAsync("account/email");
        var address = Assert.Single(emails.Data.EnumerateArray());
        Assert.True(address.GetProperty("verified").GetBoolean());
        Assert.True(address.GetProperty("primary").GetBoolean());
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task LoginOfAnUnverifiedUser_MailsANewCode_ThatLogsIn(ClientKind kind)
    {
        var app = await StartAsync();
        await SignedUpAsync(app, kind);
        app.Clock.Advance(TimeSpan.FromMinutes(3) + TimeSpan.FromSeconds(1));
        var client = app.Client(kind);

        var login = await client.PostAsync("auth/login", new { email = Email, password = Password });

        Assert.Equal(401, login.StatusCode);
        Assert.Equal("verify_email", login.PendingFlow);
        var code = await CodeMailedToAsync(app, Email);
        var verify = await client.PostAsync("auth/email/verify", new { key = code });
        Assert.Equal(200, verify.StatusCode);
        Assert.Equal("password", verify.Data.GetProperty("methods")[0].GetProperty("method").GetString());
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task LoginOfAnUnverifiedUser_WithinTheCooldown_MailsNothing_ButCanAskForTheCodeOnceItIsOver(ClientKind kind)
    {
        // The cooldown is allauth's confirm_email rate limit, 1/10s/key with verification by code.
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:RateLimits:Enabled"] = "true" });
        await SignedUpAsync(app, kind);
        var client = app.Client(kind);
        var login = await client.PostAsync("auth/login", new { email = Email, password = Password });
        Assert.Equal("verify_email", login.PendingFlow);
        Assert.Equal(1, await OutboxCountAsync(app, Email, "Confirm Your Email"));

        app.Clock.Advance(TimeSpan.FromSeconds(11));
        var resend = await client.PostAsync("auth/email/verify/resend");

        Assert.Equal(200, resend.StatusCode);
        var code = await CodeMailedToAsync(app, Email);
        Assert.Equal(200, (await client.PostAsync("auth/email/verify", new { key = code })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Config_SaysVerificationIsByCode(ClientKind kind)
    {
        var app = await StartAsync();

        var config = await app.Client(kind).GetAsync("config");

        Assert.Equal(200, config.StatusCode);
        Assert.True(config.Data.GetProperty("account").GetProperty("email_verification_by_code_enabled").GetBoolean());
    }
}

public sealed class SqliteEmailVerificationByCodeTests() : EmailVerificationByCodeTests(DatabaseKind.Sqlite);
public sealed class PostgresEmailVerificationByCodeTests() : EmailVerificationByCodeTests(DatabaseKind.Postgres);
