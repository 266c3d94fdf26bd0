using System.Text.RegularExpressions;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Api;

/// <summary>auth/code/request, confirm and resend (allauth's login by code, recorded in app_60..63).</summary>
public abstract partial class LoginByCodeTests(DatabaseKind database) : ApiTestBase(database)
{
    private const string Email = "alice@example.com";

    [GeneratedRegex("^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")]
    private static partial Regex CodeShape();

    /// <summary>A verified account, logged out, and a fresh client that has requested a code (the code is returned).</summary>
    private static async Task<(ApiClient Client, ApiResponse Request, string Code)> RequestedCodeAsync(GatehouseApp app, ClientKind kind, string email = Email)
    {
        var owner = await SignedUpAndVerifiedAsync(app, kind, email);
        await owner.DeleteAsync("auth/session");
        var client = app.Client(kind);
        var request = await client.PostAsync("auth/code/request", new { email });
        var mail = await MailToAsync(app, email, "Sign-In Code");
        return (client, request, mail.CodeLine()!);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task RequestingACode_AnswersPendingLoginByCode_AndMailsAnAllauthShapedCode(ClientKind kind)
    {
        var app = await StartAsync();

        var (_, request, code) = await RequestedCodeAsync(app, kind);

        Assert.Equal(401, request.StatusCode);
        Assert.False(request.IsAuthenticated);
        Assert.Equal("login_by_code", request.PendingFlow);
        // The pending stage is marked in place in the list of startable flows, not appended.
        Assert.Equal(["login", "login_by_code", "signup", "mfa_login_webauthn"], request.FlowIds);
        Assert.Equal(kind == ClientKind.App, request.SessionTokenInMeta is not null);
        Assert.Matches(CodeShape(), code);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ConfirmingTheMailedCode_LogsInWithMethodCode_InANewSession(ClientKind kind)
    {
        var app = await StartAsync();
        var (client, _, code) = await RequestedCodeAsync(app, kind);
        var pendingToken = client.SessionToken;
        var pendingCookie = client.Cookie("sessionid");

        var confirm = await client.PostAsync("auth/code/confirm", new { code });

        Assert.Equal(200, confirm.StatusCode);
        Assert.True(confirm.IsAuthenticated);
        var method = Assert.Single(confirm.Data.GetProperty("methods").EnumerateArray());
        Assert.Equal("code", method.GetProperty("method").GetString());
        Assert.Equal(Email, method.GetProperty("email").GetString());
        Assert.Equal(Email, confirm.Data.GetProperty("user").GetProperty("email").GetString());
        if (kind == ClientKind.App)
        {
            Assert.NotNull(pendingToken);
            Assert.NotNull(confirm.SessionTokenInMeta);
            Assert.NotEqual(pendingToken, confirm.SessionTokenInMeta);
        }
        else
        {
            Assert.False(confirm.HasMeta && confirm.Meta.TryGetProperty("session_token", out _));
            Assert.NotNull(pendingCookie);
            Assert.NotNull(client.Cookie("sessionid"));
            Assert.NotEqual(pendingCookie, client.Cookie("sessionid"));
        }
        var session = await client.GetAsync("auth/session");
        Assert.Equal(200, session.StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ConfirmingTheCode_InLowerCaseWithoutTheDash_IsAccepted(ClientKind kind)
    {
        var app = await StartAsync();
        var (client, _, code) = await RequestedCodeAsync(app, kind);

        var confirm = await client.PostAsync("auth/code/confirm", new { code = code.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant() });

        Assert.Equal(200, confirm.StatusCode);
        Assert.True(confirm.IsAuthenticated);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AnUnknownEmail_GetsTheSamePendingAnswer_AnUnknownAccountMail_AndNeverLogsIn(ClientKind kind)
    {
        var app = await StartAsync();
        var (_, known, _) = await RequestedCodeAsync(app, kind);
        var client = app.Client(kind);

        var unknown = await client.PostAsync("auth/code/request", new { email = "nobody@example.com" });

        Assert.Equal(known.StatusCode, unknown.StatusCode);
        Assert.Equal(known.FlowIds, unknown.FlowIds);
        Assert.Equal("login_by_code", unknown.PendingFlow);
        Assert.Equal(kind == ClientKind.App, unknown.SessionTokenInMeta is not null);
        var mail = await MailToAsync(app, "nobody@example.com", "Unknown Account");
        Assert.Null(mail.CodeLine());
        Assert.Contains("nobody@example.com", mail.TextBody, StringComparison.Ordinal);
        Assert.Equal(0, await OutboxCountAsync(app, "nobody@example.com", "Sign-In Code"));

        // No code exists, so no guess (not even an empty or a "right-looking" one) can succeed.
        var empty = await client.PostAsync("auth/code/confirm", new { code = "" });
        Assert.Equal(400, empty.StatusCode);
        var guess = await client.PostAsync("auth/code/confirm", new { code = "BCDF-GHJK" });
        Assert.Equal(["incorrect_code@code"], guess.ErrorCodes);
        var session = await client.GetAsync("auth/session");
        Assert.Equal(401, session.StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task ConfirmingACode_VerifiesAnUnverifiedAddress_AndLogsIn(ClientKind kind)
    {
        var app = await StartAsync();
        var signup = app.Client(kind);
        Assert.Equal(401, (await signup.PostAsync("auth/signup", new { email = Email, password = Password })).StatusCode);
        app.Mail.Clear();
        var client = app.Client(kind);
        await client.PostAsync("auth/code/request", new { email = Email });
        var code = (await app.Mail.WaitForMailAsync(m => m.To.Contains(Email) && m.Subject.Contains("Sign-In Code", StringComparison.Ordinal))).CodeLine()!;

        var confirm = await client.PostAsync("auth/code/confirm", new { code });

        Assert.Equal(200, confirm.StatusCode);
        var emails = await client.GetAsync("account/email");
        Assert.True(Assert.Single(emails.Data.EnumerateArray()).GetProperty("verified").GetBoolean());
    }
}

public sealed class SqliteLoginByCodeTests() : LoginByCodeTests(DatabaseKind.Sqlite);
public sealed class PostgresLoginByCodeTests() : LoginByCodeTests(DatabaseKind.Postgres);
