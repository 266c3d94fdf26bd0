using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Api;

/// <summary>POST account/password/change (app_54..57).</summary>
public abstract class PasswordChangeTests(DatabaseKind database) : ApiTestBase(database)
{
    private const string Email = "alice@example.com";
    private const string NewPassword = "N3w-Tr0ub4dor&3-horse";

    [Theory, MemberData(nameof(Clients))]
    public async Task AWrongCurrentPassword_AnswersEnterCurrentPassword(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        var change = await client.PostAsync("account/password/change", new { current_password = "not-the-password", new_password = NewPassword });

        Assert.Equal(400, change.StatusCode);
        Assert.Equal(["enter_current_password@current_password"], change.ErrorCodes);
        Assert.Equal(200, (await LoginStatusAsync(app, kind, Password)));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AMissingCurrentPassword_AnswersRequired(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        var change = await client.PostAsync("account/password/change", new { new_password = NewPassword });
        var nothing = await client.PostAsync("account/password/change", new { });

        Assert.Equal(400, change.StatusCode);
        Assert.Equal(["required@current_password"], change.ErrorCodes);
        Assert.Equal(["required@current_password", "required@new_password"], nothing.ErrorCodes.Order(StringComparer.Ordinal));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AWeakNewPassword_AnswersValidatorErrorsOnNewPassword(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        var tooShort = await client.PostAsync("account/password/change", new { current_password = Password, new_password = "Xy7!" });
        var numeric = await client.PostAsync("account/password/change", new { current_password = Password, new_password = "48213957106" });
        // Validated with the user, so the similarity validator applies here (unlike at signup).
        var similar = await client.PostAsync("account/password/change", new { current_password = Password, new_password = "alice@example.com" });

        Assert.Contains("password_too_short@new_password", tooShort.ErrorCodes);
        Assert.Contains("password_entirely_numeric@new_password", numeric.ErrorCodes);
        Assert.Contains("password_too_similar@new_password", similar.ErrorCodes);
        Assert.All(tooShort.ErrorCodes.Concat(numeric.ErrorCodes).Concat(similar.ErrorCodes),
            code => Assert.EndsWith("@new_password", code, StringComparison.Ordinal));
        Assert.Equal(200, await LoginStatusAsync(app, kind, Password));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Changing_WhenNotLoggedIn_Answers401(ClientKind kind)
    {
        var app = await StartAsync();
        var client = app.Client(kind);

        var change = await client.PostAsync("account/password/change", new { current_password = Password, new_password = NewPassword });

        Assert.Equal(401, change.StatusCode);
        Assert.False(change.IsAuthenticated);
    }

    [Fact]
    public async Task Changing_GivesTheAppANewSessionToken_TheOldOneAnswers410_AndTheNewOneWorks()
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, ClientKind.App, Email);
        var oldToken = client.SessionToken!;

        var change = await client.PostAsync("account/password/change", new { current_password = Password, new_password = NewPassword });

        Assert.Equal(200, change.StatusCode);
        Assert.True(change.IsAuthenticated);
        Assert.Equal(Email, change.Data.GetProperty("user").GetProperty("email").GetString());
        var newToken = change.SessionTokenInMeta;
        Assert.NotNull(newToken);
        Assert.NotEqual(oldToken, newToken);

        client.SessionToken = oldToken;
        var old = await client.GetAsync("auth/session");
        Assert.Equal(410, old.StatusCode);
        Assert.Null(old.IsAuthenticated);
        client.SessionToken = newToken;
        var fresh = await client.GetAsync("auth/session");
        Assert.Equal(200, fresh.StatusCode);
        Assert.True(fresh.IsAuthenticated);
    }

    [Fact]
    public async Task Changing_GivesTheBrowserANewSessionCookie_AndTheOldCookieIsDead()
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, ClientKind.Browser, Email);
        var oldCookie = client.Cookie("sessionid")!;

        var change = await client.PostAsync("account/password/change", new { current_password = Password, new_password = NewPassword });

        Assert.Equal(200, change.StatusCode);
        Assert.True(change.IsAuthenticated);
        var newCookie = client.Cookie("sessionid");
        Assert.NotNull(newCookie);
        Assert.NotEqual(oldCookie, newCookie);
        Assert.Equal(200, (await client.GetAsync("auth/session")).StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Get, client.Prefix + "auth/session");
        request.Headers.Add("Cookie", "sessionid=" + oldCookie);
        using var raw = app.CreateDefaultClient();
        using var response = await raw.SendAsync(request);
        Assert.Equal(401, (int)response.StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Changing_KeepsTheUserLoggedIn_AndOnlyTheNewPasswordWorks(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);

        Assert.Equal(200, (await client.PostAsync("account/password/change", new { current_password = Password, new_password = NewPassword })).StatusCode);

        Assert.Equal(200, (await client.GetAsync("auth/session")).StatusCode);
        Assert.Equal(400, await LoginStatusAsync(app, kind, Password));
        Assert.Equal(200, await LoginStatusAsync(app, kind, NewPassword));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Changing_EndsTheUsersOtherSessions_ByDefault(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        var other = await LoggedInAsync(app, kind, Email, userAgent: "other-device");
        var stranger = await SignedUpAndVerifiedAsync(app, kind, "bob@example.com");

        Assert.Equal(200, (await client.PostAsync("account/password/change", new { current_password = Password, new_password = NewPassword })).StatusCode);

        var after = await other.GetAsync("auth/session");
        Assert.Equal(kind == ClientKind.App ? 410 : 401, after.StatusCode);
        Assert.Equal(200, (await client.GetAsync("auth/session")).StatusCode);
        Assert.Equal(200, (await stranger.GetAsync("auth/session")).StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task Changing_KeepsTheOtherSessions_WhenLogoutOtherSessionsIsOff(ClientKind kind)
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:LogoutOtherSessionsOnPasswordChange"] = "false" });
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        var other = await LoggedInAsync(app, kind, Email, userAgent: "other-device");

        Assert.Equal(200, (await client.PostAsync("account/password/change", new { current_password = Password, new_password = NewPassword })).StatusCode);

        var after = await other.GetAsync("auth/session");
        Assert.Equal(200, after.StatusCode);
        Assert.True(after.IsAuthenticated);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task AChangeWhoseLaterWriteFails_LeavesThePasswordUnchanged_AndTheOtherSessionsAlive(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, Email);
        var other = await LoggedInAsync(app, kind, Email, userAgent: "other-device");
        // The change ends the other sessions first (a delete that runs at once), then saves the rest: the audit
        // record is one of those later writes, and its insert fails here.
        await FailingInserts.StartAsync(app, "audit_events", "NEW.event_type = 'password_changed'");

        var failed = await client.PostAsync("account/password/change", new { current_password = Password, new_password = NewPassword });

        Assert.Equal(409, failed.StatusCode);
        AssertEnvelope(failed);
        await FailingInserts.StopAsync(app, "audit_events");
        var after = await other.GetAsync("auth/session");
        Assert.Equal(200, after.StatusCode);
        Assert.True(after.IsAuthenticated);
        Assert.Equal(200, (await client.GetAsync("auth/session")).StatusCode);
        Assert.Equal(0, await app.DbAsync(db => db.AuditEvents.CountAsync(e => e.EventType == "password_changed")));
        Assert.Equal(200, await LoginStatusAsync(app, kind, Password));
        Assert.Equal(400, await LoginStatusAsync(app, kind, NewPassword));
    }

    private static async Task<int> LoginStatusAsync(GatehouseApp app, ClientKind kind, string password) =>
        (await app.Client(kind).PostAsync("auth/login", new { email = Email, password })).StatusCode;
}

public sealed class SqlitePasswordChangeTests() : PasswordChangeTests(DatabaseKind.Sqlite);
public sealed class PostgresPasswordChangeTests() : PasswordChangeTests(DatabaseKind.Postgres);
