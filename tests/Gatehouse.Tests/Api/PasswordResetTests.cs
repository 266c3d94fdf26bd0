using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Api;

/// <summary>auth/password/request and auth/password/reset, by link (app_70..74) and by code.</summary>
public abstract class PasswordResetTests(DatabaseKind database) : ApiTestBase(database)
{
    private const string Email = "alice@example.com";
    private const string NewPassword = "N3w-Tr0ub4dor&3-horse";

    private static readonly Dictionary<string, string?> ByCode = new() { ["Gatehouse:Account:PasswordResetByCodeEnabled"] = "true" };

    private static Dictionary<string, string> KeyHeader(string key) => new() { ["X-Password-Reset-Key"] = key };

    /// <summary>A verified, logged-out account, and the key of the reset link it was mailed.</summary>
    private static async Task<(ApiClient Client, string Key)> RequestedResetLinkAsync(GatehouseApp app, ClientKind kind)
    {
        var owner = await SignedUpAndVerifiedAsync(app, kind, Email);
        await owner.DeleteAsync("auth/session");
        var client = app.Client(kind);
        var request = await client.PostAsync("auth/password/request", new { email = Email });
        Assert.Equal(200, request.StatusCode);
        var mail = await MailToAsync(app, Email, "Password Reset Email");
        return (client, KeyFromUrl(mail.FirstUrl()));
    }

    private static async Task<(ApiClient Client, ApiResponse Request, string Code)> RequestedResetCodeAsync(GatehouseApp app, ClientKind kind)
    {
        var owner = await SignedUpAndVerifiedAsync(app, kind, Email);
        await owner.DeleteAsync("auth/session");
        var client = app.Client(kind);
        var request = await client.PostAsync("auth/password/request", new { email = Email });
        var mail = await MailToAsync(app, Email, "Password Reset Code");
        return (client, request, mail.CodeLine()!);
    }

    private static async Task<int> LoginStatusAsync(GatehouseApp app, ClientKind kind, string password) =>
        (await app.Client(kind).PostAsync("auth/login", new { email = Email, password })).StatusCode;

    // ---- link mode ----

    [Theory, MemberData(nameof(Clients))]
    public async Task Requesting_AnswersABare200_ForAKnownAndAnUnknownAddressAlike(ClientKind kind)
    {
        var app = await StartAsync();
        await SignedUpAndVerifiedAsync(app, kind, Email);
        var client = app.Client(kind);

        var known = await client.PostAsync("auth/password/request", new { email = Email });
        var unknown = await client.PostAsync("auth/password/request", new { email = "nobody@example.com" });

        Assert.Equal(200, known.StatusCode);
        Assert.Equal("{\"status\":200}", known.Body.Replace(" ", "", StringComparison.Ordinal));
        Assert.Equal(known.Body, unknown.Body);
        Assert.Equal(known.StatusCode, unknown.StatusCode);
        var resetMail = await app.Mail.WaitForMailAsync(m => m.To.Contains(Email) && m.Subject.Contains("Password Reset Email", StringComparison.Ordinal));
        Assert.Contains("/account/password/reset/key/", resetMail.FirstUrl(), StringComparison.Ordinal);
        var unknownMail = await app.Mail.WaitForMailAsync(m => m.To.Contains("nobody@example.com") && m.Subject.Contains("Unknown Account", StringComparison.Ordinal));
        Assert.Contains("nobody@example.com", unknownMail.TextBody, StringComparison.Ordinal);
        Assert.Equal(0, await OutboxCountAsync(app, "nobody@example.com", "Password Reset Email"));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Requesting_WithAnInvalidOrMissingEmail_AnswersFieldErrors(ClientKind kind)
    {
        var app = await StartAsync();
        var client = app.Client(kind);

        var invalid = await client.PostAsync("auth/password/request", new { email = "not-an-email" });
        var missing = await client.PostAsync("auth/password/request", new { });

        Assert.Equal(["invalid@email"], invalid.ErrorCodes);
        Assert.Equal(["required@email"], missing.ErrorCodes);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TheMailedKey_IsGoodForItsUser_AndAWrongKeyIsInvalid(ClientKind kind)
    {
        var app = await StartAsync();
        var (client, key) = await RequestedResetLinkAsync(app, kind);

        var info = await client.GetAsync("auth/password/reset", KeyHeader(key));
        var bad = await client.GetAsync("auth/password/reset", KeyHeader(key + "x"));
        var none = await client.GetAsync("auth/password/reset");

        Assert.Equal(200, info.StatusCode);
        Assert.Equal(Email, info.Data.GetProperty("user").GetProperty("email").GetString());
        Assert.Equal("alice", info.Data.GetProperty("user").GetProperty("username").GetString());
        Assert.Equal(400, bad.StatusCode);
        Assert.Equal(["invalid_password_reset@key"], bad.ErrorCodes);
        Assert.Equal(["invalid_password_reset@key"], none.ErrorCodes);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Resetting_Answers401_AndOnlyTheNewPasswordLogsInAfterwards(ClientKind kind)
    {
        var app = await StartAsync();
        var (client, key) = await RequestedResetLinkAsync(app, kind);

        var reset = await client.PostAsync("auth/password/reset", new { key, password = NewPassword });

        Assert.Equal(401, reset.StatusCode);
        Assert.False(reset.IsAuthenticated);
        Assert.Null(reset.PendingFlow);
        Assert.Equal(400, await LoginStatusAsync(app, kind, Password));
        Assert.Equal(200, await LoginStatusAsync(app, kind, NewPassword));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TheKey_CanBeUsedOnlyOnce(ClientKind kind)
    {
        var app = await StartAsync();
        var (client, key) = await RequestedResetLinkAsync(app, kind);
        Assert.Equal(401, (await client.PostAsync("auth/password/reset", new { key, password = NewPassword })).StatusCode);

        var again = await client.PostAsync("auth/password/reset", new { key, password = "An0ther-Str0ng-Passphrase" });
        var info = await client.GetAsync("auth/password/reset", KeyHeader(key));

        Assert.Equal(["invalid_password_reset@key"], again.ErrorCodes);
        Assert.Equal(["invalid_password_reset@key"], info.ErrorCodes);
        Assert.Equal(200, await LoginStatusAsync(app, kind, NewPassword));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TheKey_ExpiresAfterThreeDays(ClientKind kind)
    {
        var app = await StartAsync();
        var (client, key) = await RequestedResetLinkAsync(app, kind);

        app.Clock.Advance(TimeSpan.FromDays(3) - TimeSpan.FromMinutes(1));
        var stillGood = await client.GetAsync("auth/password/reset", KeyHeader(key));
        app.Clock.Advance(TimeSpan.FromMinutes(2));
        var info = await client.GetAsync("auth/password/reset", KeyHeader(key));
        var reset = await client.PostAsync("auth/password/reset", new { key, password = NewPassword });

        Assert.Equal(200, stillGood.StatusCode);
        Assert.Equal(["invalid_password_reset@key"], info.ErrorCodes);
        Assert.Equal(["invalid_password_reset@key"], reset.ErrorCodes);
        Assert.Equal(200, await LoginStatusAsync(app, kind, Password));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Resetting_EndsTheUsersExistingSessions(ClientKind kind)
    {
        var app = await StartAsync();
        // Logged in before the reset is requested (a login after it would void the key, as in Django).
        var loggedIn = await SignedUpAndVerifiedAsync(app, kind, Email);
        var client = app.Client(kind);
        Assert.Equal(200, (await client.PostAsync("auth/password/request", new { email = Email })).StatusCode);
        var key = KeyFromUrl((await MailToAsync(app, Email, "Password Reset Email")).FirstUrl());
        Assert.Equal(200, (await loggedIn.GetAsync("auth/session")).StatusCode);

        var reset = await client.PostAsync("auth/password/reset", new { key, password = NewPassword });
        Assert.Equal(401, reset.StatusCode);

        var after = await loggedIn.GetAsync("auth/session");
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
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AWeakNewPassword_IsRefusedOnPassword_AndTheKeyStaysGood(ClientKind kind)
    {
        var app = await StartAsync();
        var (client, key) = await RequestedResetLinkAsync(app, kind);

        var weak = await client.PostAsync("auth/password/reset", new { key, password = "Xy7!" });

        Assert.Equal(400, weak.StatusCode);
        Assert.Contains("password_too_short@password", weak.ErrorCodes);
        Assert.All(weak.ErrorCodes, code => Assert.EndsWith("@password", code, StringComparison.Ordinal));
        Assert.Equal(401, (await client.PostAsync("auth/password/reset", new { key, password = NewPassword })).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Resetting_WithoutKeyOrPassword_AnswersRequired(ClientKind kind)
    {
        var app = await StartAsync();
        var client = app.Client(kind);

        var empty = await client.PostAsync("auth/password/reset", new { });

        Assert.Equal(400, empty.StatusCode);
        Assert.Equal(["required@key", "required@password"], empty.ErrorCodes.Order(StringComparer.Ordinal));
    }

    // ---- code mode ----

    [Theory, MemberData(nameof(Clients))]
    public async Task ByCode_RequestingAnswersPendingPasswordResetByCode_AndMailsACode(ClientKind kind)
    {
        var app = await StartAsync(ByCode);

        var (client, request, code) = await RequestedResetCodeAsync(app, kind);

        Assert.Equal(401, request.StatusCode);
        Assert.False(request.IsAuthenticated);
        Assert.Equal("password_reset_by_code", request.PendingFlow);
        Assert.Equal(["login", "login_by_code", "signup", "mfa_login_webauthn", "password_reset_by_code"], request.FlowIds);
        Assert.Matches("^[A-Z]{4}-[A-Z]{4}$", code);
        // While idle, the flow is listed but not pending.
        var idle = await app.Client(kind).GetAsync("auth/session");
        Assert.Contains("password_reset_by_code", idle.FlowIds);
        Assert.Null(idle.PendingFlow);
        Assert.NotNull(client);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ByCode_TheCodeShowsTheUser_ThenResetAnswers401_AndTheNewPasswordLogsIn(ClientKind kind)
    {
        var app = await StartAsync(ByCode);
        var (client, _, code) = await RequestedResetCodeAsync(app, kind);

        var info = await client.GetAsync("auth/password/reset", KeyHeader(code));
        Assert.Equal(200, info.StatusCode);
        Assert.Equal(Email, info.Data.GetProperty("user").GetProperty("email").GetString());

        var reset = await client.PostAsync("auth/password/reset", new { key = code, password = NewPassword });
        Assert.Equal(401, reset.StatusCode);
        Assert.Null(reset.PendingFlow);

        Assert.Equal(400, await LoginStatusAsync(app, kind, Password));
        Assert.Equal(200, await LoginStatusAsync(app, kind, NewPassword));
        // The flow is over: the same code does nothing more.
        var again = await client.PostAsync("auth/password/reset", new { key = code, password = "An0ther-Str0ng-Passphrase" });
        Assert.Equal(409, again.StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ByCode_TheCodeProvesTheMailbox_SoAnUnverifiedUserCanLogInAfterwards(ClientKind kind)
    {
        var app = await StartAsync(ByCode);
        await app.Client(kind).PostAsync("auth/signup", new { email = Email, password = Password });
        await VerificationKeyAsync(app, Email);
        var client = app.Client(kind);
        Assert.Equal(401, (await client.PostAsync("auth/password/request", new { email = Email })).StatusCode);
        var code = (await MailToAsync(app, Email, "Password Reset Code")).CodeLine()!;

        Assert.Equal(200, (await client.GetAsync("auth/password/reset", KeyHeader(code))).StatusCode);
        Assert.Equal(401, (await client.PostAsync("auth/password/reset", new { key = code, password = NewPassword })).StatusCode);

        // allauth's confirm_code() verifies the address indirectly: no verify_email stage remains.
        var login = await app.Client(kind).PostAsync("auth/login", new { email = Email, password = NewPassword });
        Assert.Equal(200, login.StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ByCode_AnUnknownEmail_LooksTheSame_AndNoCodeEverWorks(ClientKind kind)
    {
        var app = await StartAsync(ByCode);
        var client = app.Client(kind);

        var request = await client.PostAsync("auth/password/request", new { email = "nobody@example.com" });

        Assert.Equal(401, request.StatusCode);
        Assert.Equal("password_reset_by_code", request.PendingFlow);
        var mail = await MailToAsync(app, "nobody@example.com", "Unknown Account");
        Assert.Null(mail.CodeLine());
        var guess = await client.GetAsync("auth/password/reset", KeyHeader("BCDF-GHJK"));
        Assert.Equal(["incorrect_code@key"], guess.ErrorCodes);
    }

}

public sealed class SqlitePasswordResetTests() : PasswordResetTests(DatabaseKind.Sqlite);
public sealed class PostgresPasswordResetTests() : PasswordResetTests(DatabaseKind.Postgres);
