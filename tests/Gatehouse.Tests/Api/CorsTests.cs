using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.Api;

/// <summary>CORS is a property of the HTTP layer, not of the database: these run on SQLite only.</summary>
public sealed class CorsTests() : ApiTestBase(DatabaseKind.Sqlite)
{
    private static readonly Dictionary<string, string?> SplitOrigin = new()
    {
        ["Gatehouse:Http:CorsOrigins:0"] = "https://app.example.com",
    };

    [Fact]
    public async Task Preflight_FromAConfiguredOrigin_AllowsCredentialsAndTheApiHeaders()
    {
        var app = await StartAsync(SplitOrigin);
        using var client = app.Client(ClientKind.Browser);
        using var request = new HttpRequestMessage(HttpMethod.Options, "/_allauth/browser/v1/auth/login");
        request.Headers.Add("Origin", "https://app.example.com");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type,x-csrftoken");

        using var response = await client.Http.SendAsync(request);

        Assert.Equal("https://app.example.com", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("true", response.Headers.GetValues("Access-Control-Allow-Credentials").Single());
        var allowed = string.Join(",", response.Headers.GetValues("Access-Control-Allow-Headers")).ToLowerInvariant();
        Assert.Contains("x-csrftoken", allowed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Preflight_FromAnotherOrigin_GetsNoCorsHeaders()
    {
        var app = await StartAsync(SplitOrigin);
        using var client = app.Client(ClientKind.Browser);
        using var request = new HttpRequestMessage(HttpMethod.Options, "/_allauth/browser/v1/auth/login");
        request.Headers.Add("Origin", "https://evil.example");
        request.Headers.Add("Access-Control-Request-Method", "POST");

        using var response = await client.Http.SendAsync(request);

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task UnsafeBrowserRequest_FromAConfiguredOrigin_PassesTheCsrfOriginCheck()
    {
        var app = await StartAsync(SplitOrigin);
        var client = app.Client(ClientKind.Browser);
        await client.GetAsync("config");
        using var request = new HttpRequestMessage(HttpMethod.Post, client.Prefix + "auth/login")
        {
            Content = new StringContent("""{"email":"nobody@example.com","password":"x"}""", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Origin", "https://app.example.com");

        var response = await client.SendRawAsync(request);

        Assert.Equal(400, response.StatusCode);
        Assert.Equal(["email_password_mismatch@password"], response.ErrorCodes);
    }
}
