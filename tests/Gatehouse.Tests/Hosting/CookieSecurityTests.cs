using System.Net.Http.Headers;
using System.Text;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Hosting;

/// <summary>
/// The session and CSRF cookies are Secure outside Development even when the request looks like plain
/// http (a TLS proxy that is not listed as trusted); in Development they follow the request's scheme.
/// Browser cookies only, and no database in it: SQLite.
/// </summary>
public sealed class CookieSecurityTests : Api.ApiTestBase
{
    public CookieSecurityTests() : base(DatabaseKind.Sqlite)
    {
    }

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        // The harness forces CookieSecure off for its http client; these tests want the product's default.
        ["Gatehouse:Sessions:CookieSecure"] = null,
        ["Gatehouse:Account:EmailVerification"] = "None",
    };

    [Fact]
    public async Task OutsideDevelopment_OverPlainHttp_TheSessionAndCsrfCookies_AreSecure()
    {
        var app = await StartAsync(new Dictionary<string, string?> { [GatehouseApp.EnvironmentSetting] = "Production" });

        var (csrf, session) = await SignupCookiesAsync(app, "http://localhost");

        Assert.Contains("secure", Attributes(csrf));
        Assert.Contains("secure", Attributes(session));
        Assert.Contains("httponly", Attributes(session));
        Assert.Contains("samesite=lax", Attributes(session));
    }

    [Fact]
    public async Task InDevelopment_TheCookiesFollowTheRequestsScheme()
    {
        var app = await StartAsync(new Dictionary<string, string?> { [GatehouseApp.EnvironmentSetting] = "Development" });

        var (httpCsrf, httpSession) = await SignupCookiesAsync(app, "http://localhost", "alice@example.com");
        var (httpsCsrf, httpsSession) = await SignupCookiesAsync(app, "https://localhost", "bob@example.com");

        Assert.DoesNotContain("secure", Attributes(httpCsrf));
        Assert.DoesNotContain("secure", Attributes(httpSession));
        Assert.Contains("secure", Attributes(httpsCsrf));
        Assert.Contains("secure", Attributes(httpsSession));
    }

    [Fact]
    public async Task SameSiteNone_IsWrittenOnBothCookies()
    {
        // For a frontend on another site; the validator insists on Secure with it.
        var app = await StartAsync(new Dictionary<string, string?>
        {
            [GatehouseApp.EnvironmentSetting] = "Production",
            ["Gatehouse:Sessions:CookieSameSite"] = "None",
        });

        var (csrf, session) = await SignupCookiesAsync(app, "https://localhost");

        Assert.Contains("samesite=none", Attributes(csrf));
        Assert.Contains("samesite=none", Attributes(session));
        Assert.Contains("secure", Attributes(session));
    }

    /// <summary>
    /// A browser's signup, with cookies handled by hand: a cookie jar would (rightly) not send a Secure
    /// cookie back over http. Returns the Set-Cookie values of csrftoken and sessionid.
    /// </summary>
    private static async Task<(string Csrf, string Session)> SignupCookiesAsync(GatehouseApp app, string origin, string email = "alice@example.com")
    {
        using var http = app.CreateDefaultClient(new Uri(origin));
        using var config = await http.GetAsync("/_allauth/browser/v1/config");
        var csrf = SetCookie(config.Headers, "csrftoken");
        var token = csrf.Split(';')[0]["csrftoken=".Length..];

        using var signup = new HttpRequestMessage(HttpMethod.Post, "/_allauth/browser/v1/auth/signup")
        {
            Content = new StringContent($$"""{"email":"{{email}}","password":"{{Password}}"}""", Encoding.UTF8, "application/json"),
        };
        signup.Headers.Add("Cookie", $"csrftoken={token}");
        signup.Headers.Add("X-CSRFToken", token);
        using var response = await http.SendAsync(signup);
        Assert.Equal(200, (int)response.StatusCode);
        return (csrf, SetCookie(response.Headers, "sessionid"));
    }

    private static string SetCookie(HttpResponseHeaders headers, string name) =>
        headers.GetValues("Set-Cookie").Single(c => c.StartsWith(name + "=", StringComparison.Ordinal));

    private static string[] Attributes(string setCookie) =>
        setCookie.Split(';', StringSplitOptions.TrimEntries).Skip(1).Select(a => a.ToLowerInvariant()).ToArray();
}
