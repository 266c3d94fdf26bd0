using System.Net.Http.Headers;
using System.Text.Json;
using Gatehouse.Audit;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Gatehouse.Tests.Mfa;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Gatehouse.Tests.CookieTokens;

/// <summary>
/// The SimpleJWT-style cookie endpoints (Gatehouse:CookieTokens) through the real pipeline on both databases:
/// register, token (and its second-factor step), refresh with rotation and reuse detection, logout, auth-check,
/// their cookies, CSRF, DRF's error shape, the host API reading the access cookie, and no routes when off.
/// </summary>
public abstract class CookieTokenTests(DatabaseKind database) : MfaTestBase(database)
{
    private const string RefreshPath = "/api/auth/";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Gatehouse:CookieTokens:Enabled"] = "true",
    };

    [Fact]
    public async Task Disabled_EveryRouteIs404()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:CookieTokens:Enabled"] = "false" });
        using var client = new CookieJwtClient(app);

        foreach (var path in new[] { "register/", "token/", "token/2fa/", "token/2fa/webauthn/", "token/refresh/", "logout/" })
        {
            Assert.Equal(404, (await client.PostAsync(path, new { email = Email, password = Password })).StatusCode);
        }
        Assert.Equal(404, (await client.GetAsync("auth-check/")).StatusCode);
        Assert.Equal(404, (await client.GetAsync("token/2fa/webauthn/")).StatusCode);
    }

    [Fact]
    public async Task Register_InDevelopmentWithoutBaseUrl_MailsALinkOnTheRequestsHost()
    {
        // The cookie endpoints' filter hands the request to the mailer too (AuthContext.Http), as the /_allauth routes' filter does.
        var app = await StartAsync(new Dictionary<string, string?>
        {
            [GatehouseApp.EnvironmentSetting] = "Development",
            ["Gatehouse:FrontendUrls:BaseUrl"] = null,
        });
        using var client = new CookieJwtClient(app);

        var register = await client.PostAsync("register/", new { email = Email, password = Password }, headers: new Dictionary<string, string> { ["Host"] = "dev.example:5000" });

        Assert.Equal(201, register.StatusCode);
        var mail = await app.Mail.WaitForMailAsync(m => m.To.Contains(Email));
        Assert.StartsWith("http://dev.example:5000/", mail.FirstUrl(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Register_WithMandatoryVerification_Answers201AndMailsTheLink_AndADuplicateLooksTheSame()
    {
        var app = await StartAsync();
        using var client = new CookieJwtClient(app);

        var first = await client.PostAsync("register/", new { email = Email, password = Password });
        var key = await VerificationKeyAsync(app, Email);
        var duplicate = await new CookieJwtClient(app).PostAsync("register/", new { email = Email, password = Password });
        var notice = await MailToAsync(app, Email, "Account Already Exists");

        Assert.Equal(201, first.StatusCode);
        Assert.Equal("Verification e-mail sent.", first.Detail);
        Assert.Null(first.SetCookie("access_token"));
        Assert.False(string.IsNullOrEmpty(key));
        // Enumeration prevention: the same answer, and the owner is told instead.
        Assert.Equal(201, duplicate.StatusCode);
        Assert.Equal(first.Body, duplicate.Body);
        Assert.NotNull(notice);
        Assert.Equal(1, await app.DbAsync(db => db.Users.CountAsync()));
    }

    [Fact]
    public async Task Register_WithBadInput_AnswersDrfFieldErrors()
    {
        var app = await StartAsync();
        using var client = new CookieJwtClient(app);

        var weak = await client.PostAsync("register/", new { email = "not-an-address", password = "123" });
        var missing = await client.PostAsync("register/", new { email = Email });
        var notJson = await client.PostAsync("register/", "{not json");

        Assert.Equal(400, weak.StatusCode);
        Assert.NotEmpty(weak.FieldErrors("email"));
        Assert.NotEmpty(weak.FieldErrors("password"));
        Assert.False(weak.Json.TryGetProperty("errors", out _)); // not the allauth envelope
        Assert.Equal(400, missing.StatusCode);
        Assert.Equal(["This field is required."], missing.FieldErrors("password"));
        Assert.Equal(400, notJson.StatusCode);
        Assert.NotNull(notJson.Detail);
        Assert.Equal(0, await app.DbAsync(db => db.Users.CountAsync()));
    }

    [Fact]
    public async Task Register_WithoutVerification_LogsInWithTheCookies()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:EmailVerification"] = "None" });
        using var client = new CookieJwtClient(app);

        var registered = await client.PostAsync("register/", new { email = Email, password = Password });
        var check = await client.GetAsync("auth-check/");

        Assert.Equal(201, registered.StatusCode);
        Assert.Equal(Email, registered.Json.GetProperty("user").GetProperty("email").GetString());
        Assert.NotNull(registered.Access);
        Assert.NotNull(registered.SetCookie("access_token"));
        Assert.NotNull(registered.SetCookie("refresh_token"));
        Assert.Equal(200, check.StatusCode);
        Assert.Equal(1, await app.DbAsync(db => db.AuditEvents.CountAsync(e => e.EventType == AuditEvents.SignedUp)));
    }

    [Fact]
    public async Task Token_LogsIn_WithTheAccessTokenInTheBodyAndBothTokensInHttpOnlyLaxCookies()
    {
        var app = await StartAsync();
        var userId = await RegisteredAsync(app);
        using var client = new CookieJwtClient(app);

        var login = await client.PostAsync("token/", new { email = Email, password = Password });

        Assert.Equal(200, login.StatusCode);
        Assert.True(login.NoStore);
        Assert.False(login.Json.TryGetProperty("refresh", out _)); // the refresh token never reaches script
        Assert.Equal(userId.ToString(System.Globalization.CultureInfo.InvariantCulture), new JsonWebToken(login.Access!).Subject);
        var access = login.SetCookie("access_token")!.ToLowerInvariant();
        var refresh = login.SetCookie("refresh_token")!.ToLowerInvariant();
        Assert.Contains("httponly", access);
        Assert.Contains("samesite=lax", access);
        Assert.Contains("path=/;", access + ";");
        Assert.Contains("max-age=300", access);
        Assert.DoesNotContain("secure", access); // Development-like test host: Sessions:CookieSecure=false
        Assert.Contains("httponly", refresh);
        Assert.Contains("samesite=lax", refresh);
        Assert.Contains("path=/api/auth/", refresh);
        Assert.Contains("max-age=86400", refresh);
        Assert.Equal(login.Access, client.Cookie("access_token"));
        Assert.Null(client.Cookie("refresh_token")); // not sent to the rest of the site
        Assert.NotNull(client.Cookie("refresh_token", RefreshPath));
        Assert.NotNull(client.Cookie("csrftoken"));
        Assert.Equal(1, await app.DbAsync(db => db.AuditEvents.CountAsync(e => e.EventType == AuditEvents.LoggedIn && e.UserId == userId)));
    }

    [Fact]
    public async Task Token_WhoseSessionIsEndedBeforeItsAccessToken_Answers409WithoutCookies()
    {
        var app = await StartAsync();
        await RegisteredAsync(app);
        using var client = new CookieJwtClient(app);
        // A concurrent request ends the new session right after the login's commit, before its access token is signed.
        await FailingInserts.AfterInsertAsync(app, "refresh_tokens", "1 = 1", "DELETE FROM sessions WHERE id = NEW.session_id;");

        var login = await client.PostAsync("token/", new { email = Email, password = Password });

        Assert.Equal(409, login.StatusCode);
        Assert.Null(login.Access);
        Assert.Null(login.SetCookie("access_token"));
        Assert.Null(login.SetCookie("refresh_token"));
        await FailingInserts.StopAsync(app, "refresh_tokens");
        Assert.Equal(200, (await client.PostAsync("token/", new { email = Email, password = Password })).StatusCode);
    }

    [Fact]
    public async Task Token_WhoseFirstRefreshTokenCannotBeStored_LeavesNoSession()
    {
        var app = await StartAsync();
        await RegisteredAsync(app);
        using var client = new CookieJwtClient(app);
        await FailingInserts.StartAsync(app, "refresh_tokens"); // the session and its first refresh token are one save

        var login = await client.PostAsync("token/", new { email = Email, password = Password });

        Assert.Equal(409, login.StatusCode);
        Assert.Null(login.SetCookie("access_token"));
        Assert.Null(login.SetCookie("refresh_token"));
        Assert.Equal(0, await app.DbAsync(db => db.Sessions.CountAsync(s => s.UserId != null)));
        Assert.Equal(0, await app.DbAsync(db => db.RefreshTokens.CountAsync()));
        await FailingInserts.StopAsync(app, "refresh_tokens");
        Assert.Equal(200, (await client.PostAsync("token/", new { email = Email, password = Password })).StatusCode);
    }

    [Fact]
    public async Task Token_OutsideDevelopment_SetsSecureCookies()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Sessions:CookieSecure"] = null });
        await RegisteredAsync(app);
        using var client = new CookieJwtClient(app);

        var login = await client.PostAsync("token/", new { email = Email, password = Password });

        Assert.Equal(200, login.StatusCode);
        Assert.Contains("secure", login.SetCookie("access_token")!.ToLowerInvariant());
        Assert.Contains("secure", login.SetCookie("refresh_token")!.ToLowerInvariant());
    }

    [Fact]
    public async Task Token_WithAWrongPasswordOrUnknownAccount_Answers401NoActiveAccount_AndAudits()
    {
        var app = await StartAsync();
        var userId = await RegisteredAsync(app);
        using var client = new CookieJwtClient(app);

        var wrong = await client.PostAsync("token/", new { email = Email, password = "wrong-password-1" });
        var unknown = await client.PostAsync("token/", new { email = "bob@example.com", password = Password });
        var missing = await client.PostAsync("token/", new { email = Email });

        Assert.Equal(401, wrong.StatusCode);
        Assert.Equal("No active account found with the given credentials", wrong.Detail);
        Assert.Equal(wrong.Body, unknown.Body);
        Assert.Null(wrong.SetCookie("access_token"));
        Assert.Equal(400, missing.StatusCode);
        Assert.Equal(["This field is required."], missing.FieldErrors("password"));
        Assert.Equal(1, await app.DbAsync(db => db.AuditEvents.CountAsync(e => e.EventType == AuditEvents.LoginFailed && e.UserId == userId)));
    }

    [Fact]
    public async Task Token_CountsFailedLogins_AsTheAllauthLoginDoes()
    {
        var app = await StartAsync(new Dictionary<string, string?>
        {
            ["Gatehouse:RateLimits:Enabled"] = "true",
            ["Gatehouse:RateLimits:Rules:login_failed"] = "10/m/ip,2/5m/key",
        });
        await RegisteredAsync(app);
        using var client = new CookieJwtClient(app);

        var one = await client.PostAsync("token/", new { email = Email, password = "wrong-password-1" });
        var two = await client.PostAsync("token/", new { email = Email, password = "wrong-password-2" });
        var locked = await client.PostAsync("token/", new { email = Email, password = Password });

        Assert.Equal(401, one.StatusCode);
        Assert.Equal(401, two.StatusCode);
        Assert.Equal(429, locked.StatusCode);
        Assert.Null(locked.SetCookie("access_token"));
    }

    [Fact]
    public async Task Token_FromAForeignOrigin_IsRefused()
    {
        var app = await StartAsync();
        await RegisteredAsync(app);
        using var client = new CookieJwtClient(app);

        var login = await client.PostAsync("token/", new { email = Email, password = Password }, headers: new Dictionary<string, string> { ["Origin"] = "https://evil.example" });

        Assert.Equal(403, login.StatusCode);
        Assert.Equal("csrf_failed", login.Code);
        Assert.Null(login.SetCookie("access_token"));
    }

    [Fact]
    public async Task AuthCheck_AnswersTheUser_OrSimpleJwtsRefusals()
    {
        var app = await StartAsync();
        var userId = await RegisteredAsync(app);
        using var client = await CookieLoginAsync(app);

        var ok = await client.GetAsync("auth-check/");
        using var anonymous = new CookieJwtClient(app);
        var none = await anonymous.GetAsync("auth-check/");
        anonymous.SetCookie("access_token", client.Cookie("access_token")![..^4] + "AAAA");
        var tampered = await anonymous.GetAsync("auth-check/");
        app.Clock.Advance(TimeSpan.FromMinutes(6));
        var expired = await client.GetAsync("auth-check/");

        Assert.Equal(200, ok.StatusCode);
        Assert.True(ok.Json.GetProperty("authenticated").GetBoolean());
        Assert.Equal(userId, ok.Json.GetProperty("user").GetProperty("id").GetInt64());
        Assert.Equal(Email, ok.Json.GetProperty("user").GetProperty("email").GetString());
        Assert.Equal(401, none.StatusCode);
        Assert.Equal("Authentication credentials were not provided.", none.Detail);
        Assert.Equal(401, tampered.StatusCode);
        Assert.Equal("token_not_valid", tampered.Code);
        Assert.Equal(401, expired.StatusCode);
        Assert.Equal("token_not_valid", expired.Code);
    }

    [Fact]
    public async Task Refresh_RotatesBothCookies_AndTheNewAccessTokenWorks()
    {
        var app = await StartAsync();
        await RegisteredAsync(app);
        using var client = await CookieLoginAsync(app);
        var oldAccess = client.Cookie("access_token");
        var oldRefresh = client.Cookie("refresh_token", RefreshPath);
        app.Clock.Advance(TimeSpan.FromMinutes(6)); // the access token expired

        var refreshed = await client.PostAsync("token/refresh/");
        var check = await client.GetAsync("auth-check/");

        Assert.Equal(200, refreshed.StatusCode);
        Assert.NotEqual(oldAccess, refreshed.Access);
        Assert.Equal(refreshed.Access, client.Cookie("access_token"));
        Assert.NotEqual(oldRefresh, client.Cookie("refresh_token", RefreshPath));
        Assert.Contains("httponly", refreshed.SetCookie("refresh_token")!.ToLowerInvariant());
        Assert.Equal(200, check.StatusCode);
    }

    [Fact]
    public async Task Refresh_WithASpentTokenAfterTheGraceWindow_RevokesTheFamilyAndItsSession()
    {
        var app = await StartAsync();
        var userId = await RegisteredAsync(app);
        using var client = await CookieLoginAsync(app);
        var stolen = client.Cookie("refresh_token", RefreshPath)!;
        Assert.Equal(200, (await client.PostAsync("token/refresh/")).StatusCode);
        app.Clock.Advance(TimeSpan.FromSeconds(11)); // past Tokens:RefreshReuseGracePeriod (10 s)

        using var thief = new CookieJwtClient(app);
        await thief.GetAsync("auth-check/"); // a csrftoken cookie, as a SPA would have
        thief.SetCookie("refresh_token", stolen, RefreshPath);
        var replay = await thief.PostAsync("token/refresh/");
        var ownerRefresh = await client.PostAsync("token/refresh/");
        var ownerCheck = await client.GetAsync("auth-check/");

        Assert.Equal(401, replay.StatusCode);
        Assert.Equal("Token is blacklisted", replay.Detail);
        Assert.Equal("token_not_valid", replay.Code);
        Assert.Equal(401, ownerRefresh.StatusCode); // the legitimate successor died with the family
        Assert.Equal("token_not_valid", ownerRefresh.Code);
        Assert.Equal(401, ownerCheck.StatusCode);
        Assert.Equal(0, await app.DbAsync(db => db.Sessions.CountAsync(s => s.UserId == userId && s.Client == "app" && db.RefreshTokens.Any(t => t.SessionId == s.Id))));
        Assert.Equal(1, await app.DbAsync(db => db.AuditEvents.CountAsync(e => e.EventType == AuditEvents.RefreshTokenReused && e.UserId == userId)));
    }

    [Fact]
    public async Task Refresh_WithinTheGraceWindow_AnswersTheSamePair()
    {
        var app = await StartAsync();
        await RegisteredAsync(app);
        using var client = await CookieLoginAsync(app);
        var first = client.Cookie("refresh_token", RefreshPath)!;

        var once = await client.PostAsync("token/refresh/");
        var rotated = client.Cookie("refresh_token", RefreshPath);
        client.SetCookie("refresh_token", first, RefreshPath);
        var again = await client.PostAsync("token/refresh/");

        Assert.Equal(200, once.StatusCode);
        Assert.Equal(200, again.StatusCode);
        Assert.Equal(once.Access, again.Access);
        Assert.Equal(rotated, client.Cookie("refresh_token", RefreshPath));
    }

    [Fact]
    public async Task Refresh_WithoutOrWithAnUnknownCookie_Answers401TokenNotValid()
    {
        var app = await StartAsync();
        using var client = new CookieJwtClient(app);
        await client.GetAsync("auth-check/");

        var none = await client.PostAsync("token/refresh/");
        client.SetCookie("refresh_token", "not-a-token", RefreshPath);
        var unknown = await client.PostAsync("token/refresh/");

        Assert.Equal(401, none.StatusCode);
        Assert.Equal("token_not_valid", none.Code);
        Assert.Equal(401, unknown.StatusCode);
        Assert.Equal("Token is invalid or expired", unknown.Detail);
        Assert.Equal("token_not_valid", unknown.Code);
    }

    [Theory]
    [InlineData("token/refresh/")]
    [InlineData("logout/")]
    [InlineData("token/2fa/")]
    [InlineData("token/2fa/webauthn/")]
    public async Task CookieAuthenticatedEndpoints_WithoutTheCsrfHeaderOrFromAForeignOrigin_Answer403(string path)
    {
        var app = await StartAsync();
        await RegisteredAsync(app);
        using var client = await CookieLoginAsync(app);

        var withoutHeader = await client.PostAsync(path, new { code = "123456" }, csrf: false);
        var foreign = await client.PostAsync(path, new { code = "123456" }, headers: new Dictionary<string, string> { ["Origin"] = "https://evil.example" });
        var check = await client.GetAsync("auth-check/");

        Assert.Equal(403, withoutHeader.StatusCode);
        Assert.Equal("csrf_failed", withoutHeader.Code);
        Assert.Equal(403, foreign.StatusCode);
        Assert.Equal("csrf_failed", foreign.Code);
        Assert.Equal(200, check.StatusCode); // nothing was ended or rotated
    }

    [Fact]
    public async Task Logout_BlacklistsTheRefreshToken_RefusesTheAccessToken_AndClearsTheCookies()
    {
        var app = await StartAsync();
        var userId = await RegisteredAsync(app);
        using var client = await CookieLoginAsync(app);
        var access = client.Cookie("access_token")!;
        var refresh = client.Cookie("refresh_token", RefreshPath)!;

        var logout = await client.PostAsync("logout/");

        Assert.Equal(200, logout.StatusCode);
        Assert.Null(client.Cookie("access_token"));
        Assert.Null(client.Cookie("refresh_token", RefreshPath));
        client.SetCookie("access_token", access);
        client.SetCookie("refresh_token", refresh, RefreshPath);
        Assert.Equal(401, (await client.GetAsync("auth-check/")).StatusCode);
        var refreshed = await client.PostAsync("token/refresh/");
        Assert.Equal(401, refreshed.StatusCode);
        Assert.Equal("token_not_valid", refreshed.Code);
        Assert.Equal(401, (await client.PostAsync("logout/")).StatusCode); // nothing left to end
        Assert.Equal(1, await app.DbAsync(db => db.AuditEvents.CountAsync(e => e.EventType == AuditEvents.LoggedOut && e.UserId == userId)));
    }

    [Fact]
    public async Task Logout_WithOnlyTheAccessCookie_EndsItsSession()
    {
        var app = await StartAsync();
        await RegisteredAsync(app);
        using var client = await CookieLoginAsync(app);
        var refresh = client.Cookie("refresh_token", RefreshPath)!;
        client.RemoveCookie("refresh_token", RefreshPath);

        var logout = await client.PostAsync("logout/");
        client.SetCookie("refresh_token", refresh, RefreshPath);
        var refreshed = await client.PostAsync("token/refresh/");

        Assert.Equal(200, logout.StatusCode);
        Assert.Equal(401, refreshed.StatusCode);
    }

    [Fact]
    public async Task Token_ForAnMfaUser_Answers2faRequired_AndOnlyTheCodeFinishesTheLogin()
    {
        var app = await StartAsync();
        var (_, secret, recovery) = await TotpUserAsync(app, ClientKind.App);
        using var client = new CookieJwtClient(app);

        var login = await client.PostAsync("token/", new { email = Email, password = Password });
        var checkBefore = await client.GetAsync("auth-check/");
        var refreshBefore = await client.PostAsync("token/refresh/");
        var wrong = await client.PostAsync("token/2fa/", new { code = "000000" });
        NextStep(app); // the activation used this step's code; a used code is refused
        var right = await client.PostAsync("token/2fa/", new { code = TotpCode(app, secret) });
        var checkAfter = await client.GetAsync("auth-check/");

        Assert.Equal(403, login.StatusCode);
        Assert.Equal("2FA required", login.Detail);
        Assert.Equal("mfa_required", login.Code);
        Assert.Equal(["recovery_codes", "totp"], login.Json.GetProperty("types").EnumerateArray().Select(t => t.GetString()));
        Assert.Null(login.SetCookie("access_token"));
        Assert.Null(login.SetCookie("refresh_token"));
        var pending = login.SetCookie("mfa_pending")!.ToLowerInvariant();
        Assert.Contains("httponly", pending);
        Assert.Contains("path=/api/auth/", pending);
        Assert.Equal(401, checkBefore.StatusCode);
        Assert.Equal(401, refreshBefore.StatusCode);
        Assert.Equal(400, wrong.StatusCode);
        Assert.Equal(["Incorrect code."], wrong.FieldErrors("code"));
        Assert.Equal(200, right.StatusCode);
        Assert.NotNull(right.Access);
        Assert.True(new JsonWebToken(right.Access).GetPayloadValue<bool>("has_mfa"));
        Assert.Null(client.Cookie("mfa_pending", RefreshPath));
        Assert.Equal(200, checkAfter.StatusCode);
        Assert.True(checkAfter.Json.GetProperty("user").GetProperty("has_mfa").GetBoolean());
        Assert.NotEmpty(recovery);
    }

    [Fact]
    public async Task TheSecurityKeyRoute_ForAUserWithoutAKey_Answers400_AndStoresNoCeremony()
    {
        var app = await StartAsync();
        var (_, secret, _) = await TotpUserAsync(app, ClientKind.App);
        using var client = new CookieJwtClient(app);
        var login = await client.PostAsync("token/", new { email = Email, password = Password });
        var challengesBefore = await app.DbAsync(db => db.CodeChallenges.CountAsync());

        var options = await client.GetAsync("token/2fa/webauthn/", csrf: true);
        var assertion = await client.PostAsync("token/2fa/webauthn/", new { credential = new { id = "AAAA" } });
        NextStep(app);
        var code = await client.PostAsync("token/2fa/", new { code = TotpCode(app, secret) });

        Assert.Equal(["recovery_codes", "totp"], login.Json.GetProperty("types").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(400, options.StatusCode);
        Assert.Equal(400, assertion.StatusCode);
        Assert.Equal(challengesBefore, await app.DbAsync(db => db.CodeChallenges.CountAsync()));
        Assert.Equal(200, code.StatusCode); // no attempt was taken: the code still finishes the login
    }

    [Fact]
    public async Task TwoFactor_WithoutAPendingLogin_Answers401_AndARecoveryCodeAlsoFinishes()
    {
        var app = await StartAsync();
        var (_, _, recovery) = await TotpUserAsync(app, ClientKind.App);
        using var client = new CookieJwtClient(app);
        await client.GetAsync("auth-check/");

        var nothingPending = await client.PostAsync("token/2fa/", new { code = recovery[0] });
        Assert.Equal(403, (await client.PostAsync("token/", new { email = Email, password = Password })).StatusCode);
        var withRecovery = await client.PostAsync("token/2fa/", new { code = recovery[0] });
        var replayed = await client.PostAsync("token/2fa/", new { code = recovery[0] });

        Assert.Equal(401, nothingPending.StatusCode);
        Assert.Equal("token_not_valid", nothingPending.Code);
        Assert.Equal(200, withRecovery.StatusCode);
        Assert.Equal(401, replayed.StatusCode); // the pending login was used up by the success
    }

    [Fact]
    public async Task TwoFactor_AfterTooManyWrongCodes_EndsThePendingLogin()
    {
        var app = await StartAsync();
        var (_, secret, _) = await TotpUserAsync(app, ClientKind.App);
        using var client = new CookieJwtClient(app);
        Assert.Equal(403, (await client.PostAsync("token/", new { email = Email, password = Password })).StatusCode);

        var answers = new List<int>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add((await client.PostAsync("token/2fa/", new { code = "000000" })).StatusCode);
        }
        NextStep(app);
        var right = await client.PostAsync("token/2fa/", new { code = TotpCode(app, secret) });

        Assert.Contains(429, answers);
        Assert.NotEqual(200, right.StatusCode);
        Assert.Null(client.Cookie("access_token"));
    }

    [Fact]
    public async Task HostApi_UsersMe_AcceptsTheAccessCookie_UntilLogout()
    {
        var app = await StartAsync();
        var userId = await RegisteredAsync(app);
        using var client = await CookieLoginAsync(app);
        var access = client.Cookie("access_token")!;

        var me = await client.SendAsync(HttpMethod.Get, "/api/v1/users/me", null, csrf: false);
        Assert.Equal(200, (await client.PostAsync("logout/")).StatusCode);
        client.SetCookie("access_token", access);
        var after = await client.SendAsync(HttpMethod.Get, "/api/v1/users/me", null, csrf: false);

        Assert.Equal(200, me.StatusCode);
        Assert.Equal(userId, me.Json.GetProperty("id").GetInt64());
        Assert.Equal(Email, me.Json.GetProperty("email").GetString());
        Assert.Equal(401, after.StatusCode);
        Assert.Equal("authentication_failed", after.Json.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task CustomPrefix_MovesEveryRoute()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:CookieTokens:Prefix"] = "/auth/jwt/" });
        await RegisteredAsync(app, new CookieJwtClient(app, "/auth/jwt/"));
        using var client = new CookieJwtClient(app, "/auth/jwt/");

        var login = await client.PostAsync("token/", new { email = Email, password = Password });
        using var old = new CookieJwtClient(app);

        Assert.Equal(200, login.StatusCode);
        Assert.Contains("path=/auth/jwt/", login.SetCookie("refresh_token")!.ToLowerInvariant());
        Assert.Equal(404, (await old.PostAsync("token/", new { email = Email, password = Password })).StatusCode);
    }

    /// <summary>Registers <see cref="MfaTestBase.Email"/> through register/ and verifies it through the mailed link; returns the user id.</summary>
    private static async Task<long> RegisteredAsync(GatehouseApp app, CookieJwtClient? through = null)
    {
        using var client = through ?? new CookieJwtClient(app);
        var registered = await client.PostAsync("register/", new { email = Email, password = Password });
        Assert.Equal(201, registered.StatusCode);
        var key = await VerificationKeyAsync(app, Email);
        // 401: verified, but this client had no login waiting, so nobody is logged in by it (allauth's answer).
        var verified = await app.Client(ClientKind.App).PostAsync("auth/email/verify", new { key });
        Assert.Equal(401, verified.StatusCode);
        Assert.True(await app.DbAsync(db => db.EmailAddresses.AnyAsync(e => e.Email == Email && e.Verified)));
        return await app.DbAsync(db => db.Users.Select(u => u.Id).SingleAsync());
    }

    private static async Task<CookieJwtClient> CookieLoginAsync(GatehouseApp app)
    {
        var client = new CookieJwtClient(app);
        var login = await client.PostAsync("token/", new { email = Email, password = Password });
        Assert.Equal(200, login.StatusCode);
        return client;
    }
}

public sealed class SqliteCookieTokenTests() : CookieTokenTests(DatabaseKind.Sqlite);
public sealed class PostgresCookieTokenTests() : CookieTokenTests(DatabaseKind.Postgres);
