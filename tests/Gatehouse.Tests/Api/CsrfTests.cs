using System.Text;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Api;

/// <summary>
/// Django's CSRF protection on the browser API, as recorded in br_01..br_18: a script-readable
/// <c>csrftoken</c> cookie echoed in X-CSRFToken, a foreign Origin refused, the token rotated at login.
/// allauth answers a failure with Django's HTML 403 page; Gatehouse with the envelope (csrf_failed).
/// </summary>
public abstract class CsrfTests(DatabaseKind database) : ApiTestBase(database)
{
    private const string LoginPath = "/_allauth/browser/v1/auth/login";
    private static readonly string WrongPasswordBody = """{"email": "nobody@example.com", "password": "wrong-password"}""";

    [Fact]
    public async Task PostWithoutCookieOrHeader_IsRefusedWith403()
    {
        var app = await StartAsync();
        var client = app.Client(ClientKind.Browser);

        var response = await PostLoginAsync(client);

        AssertCsrfFailed(response);
    }

    [Fact]
    public async Task PostWithCookieButWithoutHeader_IsRefusedWith403()
    {
        var app = await StartAsync();
        var client = await WarmedUpAsync(app);

        var response = await PostLoginAsync(client);

        AssertCsrfFailed(response);
    }

    [Fact]
    public async Task PostWithHeaderButWithoutCookie_IsRefusedWith403()
    {
        var app = await StartAsync();
        var client = app.Client(ClientKind.Browser);

        var response = await PostLoginAsync(client, new() { ["X-CSRFToken"] = new string('a', 32) });

        AssertCsrfFailed(response);
        Assert.Null(client.Cookie("sessionid"));
    }

    [Fact]
    public async Task PostWithAHeaderThatDoesNotMatchTheCookie_IsRefusedWith403()
    {
        var app = await StartAsync();
        var client = await WarmedUpAsync(app);
        var cookie = client.Cookie("csrftoken")!;
        var other = cookie[..^1] + (cookie[^1] == 'a' ? 'b' : 'a');

        var response = await PostLoginAsync(client, new() { ["X-CSRFToken"] = other });

        AssertCsrfFailed(response);
    }

    [Theory]
    [InlineData("http://evil.example")]
    [InlineData("null")]
    [InlineData("http://localhost:8080")]
    [InlineData("https://localhost")]
    [InlineData("http://localhost.evil.example")]
    public async Task PostWithTheRightTokenFromAForeignOrigin_IsRefusedWith403(string origin)
    {
        var app = await StartAsync();
        var client = await WarmedUpAsync(app);

        var response = await PostLoginAsync(client, new()
        {
            ["X-CSRFToken"] = client.Cookie("csrftoken")!,
            ["Origin"] = origin,
        });

        AssertCsrfFailed(response);
    }

    [Theory]
    [InlineData("http://localhost")]
    [InlineData("http://LOCALHOST")]
    public async Task PostWithTheRightTokenFromTheSameOrigin_PassesTheCheck(string origin)
    {
        var app = await StartAsync();
        var client = await WarmedUpAsync(app);

        var response = await PostLoginAsync(client, new()
        {
            ["X-CSRFToken"] = client.Cookie("csrftoken")!,
            ["Origin"] = origin,
        });

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(["email_password_mismatch@password"], response.ErrorCodes);
    }

    [Fact]
    public async Task PostWithTheRightTokenFromAConfiguredTrustedOrigin_PassesTheCheck()
    {
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Sessions:CsrfTrustedOrigins:0"] = "https://spa.example" });
        var client = await WarmedUpAsync(app);

        var trusted = await PostLoginAsync(client, new() { ["X-CSRFToken"] = client.Cookie("csrftoken")!, ["Origin"] = "https://spa.example" });
        var lookalike = await PostLoginAsync(client, new() { ["X-CSRFToken"] = client.Cookie("csrftoken")!, ["Origin"] = "https://spa.example.evil.example" });

        Assert.Equal(400, trusted.StatusCode);
        AssertCsrfFailed(lookalike);
    }

    [Theory]
    [InlineData("PUT", "account/email")]
    [InlineData("PATCH", "account/email")]
    [InlineData("DELETE", "account/email")]
    [InlineData("DELETE", "auth/session")]
    [InlineData("DELETE", "auth/sessions")]
    [InlineData("POST", "auth/signup")]
    public async Task EveryUnsafeMethod_NeedsTheToken(string method, string path)
    {
        var app = await StartAsync();
        var client = await WarmedUpAsync(app);
        using var request = new HttpRequestMessage(new HttpMethod(method), client.Prefix + path)
        {
            Content = new StringContent("{}", Encoding.UTF8, "application/json"),
        };

        var response = await client.SendRawAsync(request, withCsrf: false);

        AssertCsrfFailed(response);
    }

    [Fact]
    public async Task TheCsrfCookie_IsSetOnConfig_ReadableByScript_LaxAndSiteWide()
    {
        var app = await StartAsync();
        var client = app.Client(ClientKind.Browser);

        var response = await client.GetAsync("config");

        var cookie = SetCookie(response, "csrftoken");
        Assert.NotNull(cookie);
        Assert.DoesNotContain("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/;", cookie + ";", StringComparison.OrdinalIgnoreCase);
        Assert.Contains("max-age=31449600", cookie, StringComparison.OrdinalIgnoreCase); // Django's one year
        Assert.True(client.Cookie("csrftoken")!.Length >= 32);
    }

    [Fact]
    public async Task TheCsrfCookie_IsSetOnEveryBrowserResponse_AndKeptStableUntilLogin()
    {
        var app = await StartAsync();
        var client = await WarmedUpAsync(app);
        var token = client.Cookie("csrftoken");

        var responses = new List<(string What, ApiResponse Response)>
        {
            ("GET auth/session", await client.GetAsync("auth/session")),
            ("POST auth/login 400", await client.PostAsync("auth/login", new { email = "nobody@example.com", password = "x" })),
            ("POST auth/signup 401", await client.PostAsync("auth/signup", new { email = "alice@example.com", password = Password })),
            ("DELETE auth/session", await client.DeleteAsync("auth/session")),
            ("CSRF failure", await PostLoginAsync(client)),
        };

        foreach (var (what, response) in responses)
        {
            Assert.True(SetCookie(response, "csrftoken") is not null, $"{what} set no csrftoken cookie");
        }
        Assert.Equal(token, client.Cookie("csrftoken"));
    }

    [Fact]
    public async Task AMalformedCsrfCookie_IsReplacedByAFreshToken()
    {
        var app = await StartAsync();
        var client = app.Client(ClientKind.Browser);
        using var request = new HttpRequestMessage(HttpMethod.Get, client.Prefix + "config");
        request.Headers.Add("Cookie", "csrftoken=short;");

        var response = await client.SendRawAsync(request, withCsrf: false);

        var cookie = SetCookie(response, "csrftoken");
        Assert.NotNull(cookie);
        Assert.DoesNotContain("csrftoken=short;", cookie, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_RotatesTheCsrfToken_AndThePreLoginTokenIsRefusedAfterwards()
    {
        var app = await StartAsync();
        (await SignedUpAndVerifiedAsync(app, ClientKind.Browser, "alice@example.com")).Dispose();
        var client = await WarmedUpAsync(app);
        var before = client.Cookie("csrftoken")!;

        var login = await client.PostAsync("auth/login", new { email = "alice@example.com", password = Password });
        Assert.Equal(200, login.StatusCode);
        var after = client.Cookie("csrftoken")!;
        Assert.NotEqual(before, after);
        Assert.False(login.HasMeta && login.Meta.TryGetProperty("session_token", out _), "the browser client gets no session_token in meta");

        // br_11/br_12: the cookie jar holds the new token; echoing the old one fails.
        using var stale = new HttpRequestMessage(HttpMethod.Delete, client.Prefix + "auth/session");
        var refused = await client.SendRawAsync(stale, new Dictionary<string, string> { ["X-CSRFToken"] = before }, withCsrf: false);
        AssertCsrfFailed(refused);
        Assert.Equal(200, (await client.GetAsync("auth/session")).StatusCode);

        var logout = await client.DeleteAsync("auth/session");
        Assert.Equal(401, logout.StatusCode);
    }

    [Fact]
    public async Task TheSessionCookie_IsHttpOnly()
    {
        var app = await StartAsync();
        (await SignedUpAndVerifiedAsync(app, ClientKind.Browser, "alice@example.com")).Dispose();
        var client = app.Client(ClientKind.Browser);

        var login = await client.PostAsync("auth/login", new { email = "alice@example.com", password = Password });

        var cookie = SetCookie(login, "sessionid");
        Assert.NotNull(cookie);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/;", cookie + ";", StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Logout_ClearsTheSessionCookie()
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, ClientKind.Browser, "alice@example.com");
        Assert.NotNull(client.Cookie("sessionid"));

        var logout = await client.DeleteAsync("auth/session");

        Assert.Equal(401, logout.StatusCode);
        var cookie = SetCookie(logout, "sessionid");
        Assert.NotNull(cookie);
        Assert.StartsWith("sessionid=;", cookie, StringComparison.Ordinal);
        Assert.Contains("expires=Thu, 01 Jan 1970", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Null(client.Cookie("sessionid"));
        Assert.Equal(401, (await client.GetAsync("auth/session")).StatusCode);
    }

    [Fact]
    public async Task TheBrowserClient_IgnoresXSessionToken()
    {
        // br_15: a valid app session token means nothing to the browser API.
        var app = await StartAsync();
        var appClient = await SignedUpAndVerifiedAsync(app, ClientKind.App, "alice@example.com");
        Assert.Equal(200, (await appClient.GetAsync("auth/session")).StatusCode);
        var browser = app.Client(ClientKind.Browser);
        var headers = new Dictionary<string, string> { ["X-Session-Token"] = appClient.SessionToken! };

        var session = await browser.GetAsync("auth/session", headers);
        var emails = await browser.GetAsync("account/email", headers);

        Assert.Equal(401, session.StatusCode);
        Assert.False(session.IsAuthenticated);
        Assert.Equal(401, emails.StatusCode);
    }

    [Fact]
    public async Task AnUnknownSessionCookie_IsNoSession_NotAnError()
    {
        var app = await StartAsync();
        var client = app.Client(ClientKind.Browser);
        using var request = new HttpRequestMessage(HttpMethod.Get, client.Prefix + "auth/session");
        request.Headers.Add("Cookie", "sessionid=" + new string('z', 32));

        var response = await client.SendRawAsync(request);

        Assert.Equal(401, response.StatusCode);
        Assert.False(response.IsAuthenticated);
        Assert.StartsWith("sessionid=;", SetCookie(response, "sessionid"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheAppClient_NeedsNoCsrf_AndIgnoresOrigin()
    {
        // br_18: no cookie, no header, even a foreign Origin: the app API has no CSRF surface.
        var app = await StartAsync();
        var client = app.Client(ClientKind.App);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/_allauth/app/v1/auth/login")
        {
            Content = new StringContent(WrongPasswordBody, Encoding.UTF8, "application/json"),
        };

        var response = await client.SendRawAsync(request, new Dictionary<string, string> { ["Origin"] = "http://evil.example" });

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(["email_password_mismatch@password"], response.ErrorCodes);
        Assert.Null(SetCookie(response, "csrftoken"));
    }

    // ---- helpers -------------------------------------------------------------------------------

    private static async Task<ApiClient> WarmedUpAsync(GatehouseApp app)
    {
        var client = app.Client(ClientKind.Browser);
        var config = await client.GetAsync("config");
        Assert.Equal(200, config.StatusCode);
        Assert.NotNull(client.Cookie("csrftoken"));
        return client;
    }

    private static async Task<ApiResponse> PostLoginAsync(ApiClient client, Dictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, LoginPath)
        {
            Content = new StringContent(WrongPasswordBody, Encoding.UTF8, "application/json"),
        };
        return await client.SendRawAsync(request, headers, withCsrf: false);
    }

    private static void AssertCsrfFailed(ApiResponse response)
    {
        Assert.Equal(403, response.StatusCode);
        Assert.Equal("application/json", response.ContentHeaders.ContentType?.MediaType);
        Assert.Equal(403, response.Json.GetProperty("status").GetInt32());
        Assert.Equal(["csrf_failed"], response.ErrorCodes);
    }

    private static string? SetCookie(ApiResponse response, string name) =>
        response.Headers.TryGetValues("Set-Cookie", out var values)
            ? values.LastOrDefault(v => v.StartsWith(name + "=", StringComparison.Ordinal))
            : null;
}

public sealed class SqliteCsrfTests() : CsrfTests(DatabaseKind.Sqlite);
public sealed class PostgresCsrfTests() : CsrfTests(DatabaseKind.Postgres);
