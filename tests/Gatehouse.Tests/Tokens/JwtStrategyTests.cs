using System.Net;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Tests.Infrastructure;
using Gatehouse.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Tests.Tokens;

/// <summary>allauth's JWT strategy on the wire: the pair at login, Bearer on Gatehouse's endpoints, refresh, logout.</summary>
public abstract class JwtStrategyTests(DatabaseKind database) : JwtTestBase(database)
{
    [Fact]
    public async Task Login_WithJwtStrategy_CarriesAnAccessAndRefreshTokenWithTheClaims()
    {
        var app = await StartAsync();

        var pair = await LoginAsync(app);

        var access = Decode(pair.Access);
        var userId = await app.DbAsync(db => db.Users.Select(u => u.Id).SingleAsync());
        var sessionId = await app.DbAsync(db => db.Sessions.Where(s => s.UserId == userId).Select(s => s.Id).SingleAsync());
        Assert.Equal("ES256", access.Alg);
        Assert.Contains(Keys(app).Current.All, k => k.Kid == access.Kid);
        Assert.Equal("https://auth.gatehouse.test", access.Issuer);
        Assert.Equal(["https://api.gatehouse.test"], access.Audiences);
        Assert.Equal(userId.ToString(System.Globalization.CultureInfo.InvariantCulture), access.Subject);
        Assert.Equal(sessionId.ToString(System.Globalization.CultureInfo.InvariantCulture), access.GetPayloadValue<string>("sid"));
        Assert.Equal("access", access.GetPayloadValue<string>("token_use"));
        Assert.Equal(Email, access.GetPayloadValue<string>("email"));
        Assert.True(access.GetPayloadValue<bool>("email_verified"));
        Assert.False(access.GetPayloadValue<bool>("is_staff"));
        Assert.False(access.GetPayloadValue<bool>("has_mfa"));
        Assert.False(string.IsNullOrEmpty(access.Id));
        Assert.Equal(TimeSpan.FromSeconds(300), access.ValidTo - access.IssuedAt);
        // The refresh token is opaque and only its hash is stored.
        Assert.DoesNotContain('.', pair.Refresh);
        var stored = await app.DbAsync(db => db.RefreshTokens.SingleAsync());
        Assert.Equal(Gatehouse.Security.Secrets.Sha256(pair.Refresh), stored.TokenHash);
        Assert.Equal(sessionId, stored.SessionId);
    }

    [Fact]
    public async Task ALoginWhoseSessionIsEndedBeforeItsAccessToken_Answers410_NotALoginWithoutTokens()
    {
        var app = await StartAsync();
        await (await SignedUpAndVerifiedAsync(app, ClientKind.App, Email)).DeleteAsync("auth/session");
        // A concurrent request (another device ending this session, a password change) ends the session right
        // after the login's commit, before its access token is signed: here the delete commits with the login.
        await FailingInserts.AfterInsertAsync(app, "refresh_tokens", "1 = 1", "DELETE FROM sessions WHERE id = NEW.session_id;");

        var login = await app.Client(ClientKind.App).PostAsync("auth/login", new { email = Email, password = Password });

        Assert.Equal(410, login.StatusCode);
        Assert.Null(login.SessionTokenInMeta);
        Assert.DoesNotContain("access_token", login.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("refresh_token", login.Body, StringComparison.Ordinal);
        Assert.Equal(0, await app.DbAsync(db => db.RefreshTokens.CountAsync()));
        await FailingInserts.StopAsync(app, "refresh_tokens");
        Assert.Equal(200, (await app.Client(ClientKind.App).PostAsync("auth/login", new { email = Email, password = Password })).StatusCode);
    }

    [Fact]
    public async Task ALoginWhoseFirstRefreshTokenCannotBeStored_LeavesNoSession()
    {
        var app = await StartAsync();
        await (await SignedUpAndVerifiedAsync(app, ClientKind.App, Email)).DeleteAsync("auth/session");
        // The session and its first refresh token are one save: when the token's insert fails, the session's rolls back.
        await FailingInserts.StartAsync(app, "refresh_tokens");

        var login = await app.Client(ClientKind.App).PostAsync("auth/login", new { email = Email, password = Password });

        Assert.Equal(409, login.StatusCode);
        Assert.Null(login.SessionTokenInMeta);
        Assert.DoesNotContain("access_token", login.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("refresh_token", login.Body, StringComparison.Ordinal);
        Assert.Equal(0, await app.DbAsync(db => db.RefreshTokens.CountAsync()));
        Assert.Equal(0, await app.DbAsync(db => db.Sessions.CountAsync(s => s.UserId != null)));
        await FailingInserts.StopAsync(app, "refresh_tokens");
        var again = await app.Client(ClientKind.App).PostAsync("auth/login", new { email = Email, password = Password });
        Assert.Equal(200, again.StatusCode);
        var sessionId = await app.DbAsync(db => db.Sessions.Where(s => s.UserId != null).Select(s => s.Id).SingleAsync());
        Assert.Equal(sessionId, await app.DbAsync(db => db.RefreshTokens.Select(t => t.SessionId).SingleAsync()));
    }

    [Fact]
    public async Task APasswordResetByCodeThatLogsIn_CommitsOnlyTheLoggedInSession_WithItsOneRefreshToken()
    {
        var app = await StartAsync(new Dictionary<string, string?>
        {
            ["Gatehouse:Account:PasswordResetByCodeEnabled"] = "true",
            ["Gatehouse:Account:LoginOnPasswordReset"] = "true",
        });
        await (await SignedUpAndVerifiedAsync(app, ClientKind.App, Email)).DeleteAsync("auth/session");
        var client = app.Client(ClientKind.App);
        Assert.Equal(401, (await client.PostAsync("auth/password/request", new { email = Email })).StatusCode);
        var code = (await MailToAsync(app, Email, "Password Reset Code")).CodeLine()!;

        // Straight to the POST (no GET first): the flow moves its pending reset to a new session and then logs in,
        // in one request. Only the logged-in session is kept; the intermediate one is never handed out.
        var reset = await client.PostAsync("auth/password/reset", new { key = code, password = "N3w-Tr0ub4dor&3-horse" });

        Assert.Equal(200, reset.StatusCode);
        Assert.True(reset.Meta.TryGetProperty("refresh_token", out _));
        var sessions = await app.DbAsync(db => db.Sessions.Select(s => new { s.Id, s.UserId }).ToListAsync());
        var only = Assert.Single(sessions);
        Assert.NotNull(only.UserId);
        Assert.Equal(only.Id, await app.DbAsync(db => db.RefreshTokens.Select(t => t.SessionId).SingleAsync()));
    }

    [Fact]
    public async Task ABrowserLogin_StoresNoRefreshToken()
    {
        var app = await StartAsync();

        await SignedUpAndVerifiedAsync(app, ClientKind.Browser, Email);

        Assert.Equal(1, await app.DbAsync(db => db.Sessions.CountAsync(s => s.UserId != null)));
        Assert.Equal(0, await app.DbAsync(db => db.RefreshTokens.CountAsync()));
    }

    [Fact]
    public async Task WithTheSessionStrategy_AnAppLogin_StoresNoRefreshToken()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Tokens:Strategy"] = "Session" });
        await (await SignedUpAndVerifiedAsync(app, ClientKind.App, Email)).DeleteAsync("auth/session");

        var login = await app.Client(ClientKind.App).PostAsync("auth/login", new { email = Email, password = Password });

        Assert.Equal(200, login.StatusCode);
        Assert.NotNull(login.SessionTokenInMeta);
        Assert.False(login.Meta.TryGetProperty("refresh_token", out _));
        Assert.Equal(0, await app.DbAsync(db => db.RefreshTokens.CountAsync()));
    }

    [Fact]
    public async Task APendingLogin_CarriesOnlyTheSessionToken_AsAllauthExposesAccessTokensOnceAuthenticated()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Account:LoginByCodeEnabled"] = "true" });
        await LoginAsync(app);

        var pending = await app.Client(ClientKind.App).PostAsync("auth/code/request", new { email = Email });

        Assert.Equal(401, pending.StatusCode);
        Assert.NotNull(pending.SessionTokenInMeta);
        Assert.False(pending.Meta.TryGetProperty("access_token", out _));
        Assert.False(pending.Meta.TryGetProperty("refresh_token", out _));
    }

    [Fact]
    public async Task Bearer_ReachesEveryAuthenticatedEndpoint()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);

        var session = await WithBearerAsync(app, HttpMethod.Get, "auth/session", pair.Access);
        var emails = await WithBearerAsync(app, HttpMethod.Get, "account/email", pair.Access);
        var sessions = await WithBearerAsync(app, HttpMethod.Get, "auth/sessions", pair.Access);
        var reauth = await WithBearerAsync(app, HttpMethod.Post, "auth/reauthenticate", pair.Access, new { password = Password });
        var authenticators = await WithBearerAsync(app, HttpMethod.Get, "account/authenticators", pair.Access);

        Assert.Equal(200, session.StatusCode);
        Assert.Equal(Email, session.Data.GetProperty("user").GetProperty("email").GetString());
        Assert.Equal(200, emails.StatusCode);
        Assert.Equal(200, sessions.StatusCode);
        Assert.True(Assert.Single(sessions.Data.EnumerateArray()).GetProperty("is_current").GetBoolean());
        Assert.Equal(200, reauth.StatusCode);
        Assert.NotEqual(401, authenticators.StatusCode);
        Assert.NotEqual(410, authenticators.StatusCode);
        // Without the token the same endpoints answer 401.
        Assert.Equal(401, (await app.Client(ClientKind.App).GetAsync("account/email")).StatusCode);
    }

    [Fact]
    public async Task Bearer_WithAnotherScheme_IsNotAccepted()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);

        var response = await app.Client(ClientKind.App).GetAsync("auth/session", new Dictionary<string, string> { ["Authorization"] = "Token " + pair.Access });

        Assert.Equal(401, response.StatusCode);
        Assert.False(response.IsAuthenticated);
    }

    // allauth reads the header with Python's split(): the scheme in any case, any run of spaces or tabs, exactly two parts.
    [Theory]
    [InlineData("Bearer {0}", 200)]
    [InlineData("bearer {0}", 200)]
    [InlineData("  Bearer   {0}  ", 200)]
    [InlineData("Bearer\t{0}", 200)]
    [InlineData("Bearer {0} extra", 401)]
    [InlineData("Bearer {0}\textra", 401)]
    [InlineData("Bearer", 401)]
    [InlineData("Bearer{0}", 401)]
    [InlineData("{0}", 401)]
    public async Task TheAuthorizationHeader_IsReadAsAllauthSplitsIt(string header, int status)
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);

        var response = await app.Client(ClientKind.App).GetAsync("auth/session",
            new Dictionary<string, string> { ["Authorization"] = string.Format(System.Globalization.CultureInfo.InvariantCulture, header, pair.Access) });

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(status == 200, response.IsAuthenticated);
    }

    [Fact]
    public async Task BrowserClient_GetsNoTokens_AndIgnoresBearer()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);
        var browser = app.Client(ClientKind.Browser);

        var login = await browser.PostAsync("auth/login", new { email = Email, password = Password });
        var bearer = await app.Client(ClientKind.Browser).GetAsync("auth/session", new Dictionary<string, string> { ["Authorization"] = "Bearer " + pair.Access });

        Assert.Equal(200, login.StatusCode);
        Assert.False(login.Meta.TryGetProperty("access_token", out _));
        Assert.Equal(401, bearer.StatusCode);
    }

    [Fact]
    public async Task Refresh_AnswersANewPair_AndTheNewAccessTokenWorks()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);
        app.Clock.Advance(TimeSpan.FromSeconds(200));

        var refreshed = await RefreshAsync(app, pair.Refresh);

        Assert.Equal(200, refreshed.StatusCode);
        var access = refreshed.Data.GetProperty("access_token").GetString()!;
        var refresh = refreshed.Data.GetProperty("refresh_token").GetString()!;
        Assert.NotEqual(pair.Access, access);
        Assert.NotEqual(pair.Refresh, refresh);
        Assert.Equal(Decode(pair.Access).GetPayloadValue<string>("sid"), Decode(access).GetPayloadValue<string>("sid"));
        Assert.Equal(200, (await WithBearerAsync(app, HttpMethod.Get, "auth/session", access)).StatusCode);
        Assert.Equal(200, (await RefreshAsync(app, refresh)).StatusCode);
    }

    [Fact]
    public async Task Refresh_WithoutRotation_KeepsTheRefreshToken_AndAnswersNone()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Tokens:RotateRefreshToken"] = "false" });
        var pair = await LoginAsync(app);

        var first = await RefreshAsync(app, pair.Refresh);
        app.Clock.Advance(TimeSpan.FromMinutes(5));
        var second = await RefreshAsync(app, pair.Refresh);

        Assert.Equal(200, first.StatusCode);
        Assert.False(first.Data.TryGetProperty("refresh_token", out _));
        Assert.Equal(200, second.StatusCode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    [InlineData(null)]
    public async Task Refresh_WithAnUnknownOrMissingToken_Answers400(string? token)
    {
        var app = await StartAsync();
        await LoginAsync(app);

        var response = await app.Client(ClientKind.App).PostAsync("tokens/refresh", token is null ? new { } : new { refresh_token = token });

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(token is null or "" ? ["required@refresh_token"] : ["invalid_token@refresh_token"], response.ErrorCodes);
    }

    [Fact]
    public async Task Refresh_AfterItExpired_Answers400()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);
        app.Clock.Advance(TimeSpan.FromSeconds(86_400));

        var response = await RefreshAsync(app, pair.Refresh);

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(["invalid_token@refresh_token"], response.ErrorCodes);
    }

    [Fact]
    public async Task Logout_WithBearer_EndsTheSession_TheAccessTokenAnswers410_AndTheRefreshTokenIsRefused()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);

        var logout = await WithBearerAsync(app, HttpMethod.Delete, "auth/session", pair.Access);

        Assert.Equal(401, logout.StatusCode);
        var after = await WithBearerAsync(app, HttpMethod.Get, "auth/session", pair.Access);
        Assert.Equal(410, after.StatusCode);
        Assert.Null(after.IsAuthenticated);
        Assert.Equal(400, (await RefreshAsync(app, pair.Refresh)).StatusCode);
        // The stateless validation service still takes it (allauth's default), the stateful one does not.
        var validator = app.Services.GetRequiredService<AccessTokenValidator>();
        Assert.True((await validator.ValidateAsync(pair.Access, stateful: false, CancellationToken.None)).IsValid);
        var stateful = await validator.ValidateAsync(pair.Access, stateful: true, CancellationToken.None);
        Assert.Equal(AccessTokenFailure.SessionEnded, stateful.Failure);
    }

    [Fact]
    public async Task PasswordChange_RefusesTheOldAccessToken_AndHandsOutANewPair()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);

        var change = await WithBearerAsync(app, HttpMethod.Post, "account/password/change", pair.Access,
            new { current_password = Password, new_password = "An0ther-g00d-passphrase" });

        Assert.Equal(200, change.StatusCode);
        var newAccess = change.Meta.GetProperty("access_token").GetString()!;
        Assert.Equal(410, (await WithBearerAsync(app, HttpMethod.Get, "auth/session", pair.Access)).StatusCode);
        Assert.Equal(200, (await WithBearerAsync(app, HttpMethod.Get, "auth/session", newAccess)).StatusCode);
        Assert.Equal(400, (await RefreshAsync(app, pair.Refresh)).StatusCode);
        Assert.Equal(200, (await RefreshAsync(app, change.Meta.GetProperty("refresh_token").GetString()!)).StatusCode);
    }

    [Fact]
    public async Task DeactivatedAccount_AndDeletedSession_RefuseTheAccessTokenAtOnce()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);
        var other = await PasswordLoginAsync(app);

        await app.DbAsync(db => db.Sessions.Where(s => s.Id == long.Parse(Decode(other.Access).GetPayloadValue<string>("sid"), System.Globalization.CultureInfo.InvariantCulture)).ExecuteDeleteAsync());
        Assert.Equal(410, (await WithBearerAsync(app, HttpMethod.Get, "auth/session", other.Access)).StatusCode);
        Assert.Equal(200, (await WithBearerAsync(app, HttpMethod.Get, "auth/session", pair.Access)).StatusCode);

        await app.DbAsync(db => db.Users.ExecuteUpdateAsync(u => u.SetProperty(x => x.IsActive, false)));
        Assert.Equal(410, (await WithBearerAsync(app, HttpMethod.Get, "auth/session", pair.Access)).StatusCode);
        Assert.Equal(400, (await RefreshAsync(app, pair.Refresh)).StatusCode);
    }

    [Fact]
    public async Task SessionStrategy_HasNoTokenRoutes()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Tokens:Strategy"] = "Session" });

        var refresh = await app.Client(ClientKind.App).PostAsync("tokens/refresh", new { refresh_token = "x" });
        using var http = app.CreateClient();
        using var jwks = await http.GetAsync(TokensApi.JwksPath);

        Assert.Equal(404, refresh.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, jwks.StatusCode);
        Assert.Equal(0, await app.DbAsync(db => db.SigningKeys.CountAsync()));
    }
}

public sealed class SqliteJwtStrategyTests() : JwtStrategyTests(DatabaseKind.Sqlite);
public sealed class PostgresJwtStrategyTests() : JwtStrategyTests(DatabaseKind.Postgres);
