using System.Net.Http.Headers;
using System.Text.Json;
using Gatehouse.Sessions;
using Gatehouse.Tests.Api;
using Gatehouse.Tests.Infrastructure;

namespace Gatehouse.Tests.HostApi;

/// <summary>
/// The standalone server's own <c>GET /api/v1/users/me</c> (the seeds' current-user endpoint), protected by the
/// Gatehouse scheme like any host endpoint: with the cookie, with the session token, without either.
/// </summary>
public abstract class ServerUserApiTests(DatabaseKind database) : ApiTestBase(database)
{
    [Theory, MemberData(nameof(Clients))]
    public async Task UsersMe_AnswersTheLoggedInUser(ClientKind kind)
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, kind, "alice@example.com");
        var session = await client.GetAsync("auth/session");

        var (status, json) = await GetMeAsync(client);

        Assert.Equal(200, status);
        var user = session.Data.GetProperty("user");
        Assert.Equal(user.GetProperty("id").GetInt64(), json.GetProperty("id").GetInt64());
        Assert.Equal("alice@example.com", json.GetProperty("email").GetString());
        Assert.Equal(user.GetProperty("username").GetString(), json.GetProperty("username").GetString());
        Assert.False(json.GetProperty("has_mfa").GetBoolean());
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task UsersMe_WithoutASession_Answers401InTheEnvelope(ClientKind kind)
    {
        var app = await StartAsync();

        var (status, json) = await GetMeAsync(app.Client(kind));

        Assert.Equal(401, status);
        Assert.Equal(401, json.GetProperty("status").GetInt32());
        Assert.Equal("not_authenticated", json.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    [Fact]
    public async Task UsersMe_AfterLogout_RefusesTheOldToken()
    {
        var app = await StartAsync();
        var client = await SignedUpAndVerifiedAsync(app, ClientKind.App, "alice@example.com");
        var token = client.SessionToken;
        await client.DeleteAsync("auth/session");
        client.SessionToken = token;

        var (status, json) = await GetMeAsync(client);

        Assert.Equal(401, status);
        Assert.Equal("authentication_failed", json.GetProperty("errors")[0].GetProperty("code").GetString());
    }

    private static async Task<(int Status, JsonElement Json)> GetMeAsync(ApiClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/users/me");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (client.Kind == ClientKind.App && client.SessionToken is not null)
        {
            request.Headers.Add("X-Session-Token", client.SessionToken);
        }
        using var response = await client.Http.SendAsync(request);
        return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }
}

public sealed class SqliteServerUserApiTests() : ServerUserApiTests(DatabaseKind.Sqlite);
public sealed class PostgresServerUserApiTests() : ServerUserApiTests(DatabaseKind.Postgres);
