using System.Text.Json;
using Gatehouse.Sessions;
using Gatehouse.Tests.Api;
using Gatehouse.Tests.Infrastructure;
using Gatehouse.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Gatehouse.Tests.Tokens;

/// <summary>Apps with <c>Gatehouse:Tokens:Strategy=Jwt</c>, and the app client's token pair from a real login.</summary>
public abstract class JwtTestBase(DatabaseKind database) : ApiTestBase(database)
{
    protected const string Email = "alice@example.com";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Gatehouse:Tokens:Strategy"] = "Jwt",
        ["Gatehouse:Tokens:Issuer"] = "https://auth.gatehouse.test",
        ["Gatehouse:Tokens:Audience"] = "https://api.gatehouse.test",
    };

    protected sealed record Pair(string Access, string Refresh, string SessionToken);

    /// <summary>Signs up, verifies, logs out, and logs in with the password as an app client: the login's meta.</summary>
    protected async Task<Pair> LoginAsync(GatehouseApp app, string email = Email)
    {
        await (await SignedUpAndVerifiedAsync(app, ClientKind.App, email)).DeleteAsync("auth/session");
        return await PasswordLoginAsync(app, email);
    }

    protected static async Task<Pair> PasswordLoginAsync(GatehouseApp app, string email = Email)
    {
        var login = await app.Client(ClientKind.App).PostAsync("auth/login", new { email, password = Password });
        Assert.Equal(200, login.StatusCode);
        Assert.True(login.IsAuthenticated);
        return new Pair(
            login.Meta.GetProperty("access_token").GetString()!,
            login.Meta.GetProperty("refresh_token").GetString()!,
            login.Meta.GetProperty("session_token").GetString()!);
    }

    /// <summary>A fresh app client that sends only <c>Authorization: Bearer</c>.</summary>
    protected static Task<ApiResponse> WithBearerAsync(GatehouseApp app, HttpMethod method, string path, string access, object? body = null) =>
        app.Client(ClientKind.App).SendAsync(method, path, body, new Dictionary<string, string> { ["Authorization"] = "Bearer " + access });

    protected static Task<ApiResponse> RefreshAsync(GatehouseApp app, string refresh) =>
        app.Client(ClientKind.App).PostAsync("tokens/refresh", new { refresh_token = refresh });

    protected static JsonWebToken Decode(string token) => new(token);

    protected static SigningKeys Keys(GatehouseApp app) => app.Services.GetRequiredService<SigningKeys>();

    protected static async Task<JsonElement> JwksAsync(GatehouseApp app)
    {
        using var http = app.CreateClient();
        using var response = await http.GetAsync(TokensApi.JwksPath);
        Assert.Equal(200, (int)response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    protected static List<string> Kids(JsonElement jwks) =>
        jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).ToList();
}
