using System.Text.Json;
using Gatehouse.Sessions;
using Gatehouse.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Tests.Api;

/// <summary>What the WebAuthn tests share: registering a software authenticator through the real API.</summary>
public abstract class WebAuthnTestBase(DatabaseKind database) : ApiTestBase(database)
{
    protected const string Email = "alice@example.com";
    protected const string OtherEmail = "bob@example.com";
    protected const string WebAuthnPath = "account/authenticators/webauthn";

    /// <summary>GET creation options and POST the authenticator's answer; returns the POST's response.</summary>
    protected static async Task<ApiResponse> RegisterAsync(ApiClient client, SoftwareAuthenticator authenticator, bool passwordless = false, string? name = "My key")
    {
        var options = await client.GetAsync(passwordless ? WebAuthnPath + "?passwordless" : WebAuthnPath);
        Assert.Equal(200, options.StatusCode);
        var credential = authenticator.Create(options.Data.GetProperty("creation_options"));
        return await client.PostAsync(WebAuthnPath, new { name, credential });
    }

    /// <summary>A user signed up, verified and logged in, with <paramref name="authenticator"/> registered (asserts the 200).</summary>
    protected static async Task<(ApiClient Client, long AuthenticatorId)> WithKeyAsync(
        GatehouseApp app, ClientKind kind, SoftwareAuthenticator authenticator, string email = Email, bool passwordless = false)
    {
        var client = await UserAsync(app, kind, email);
        var added = await RegisterAsync(client, authenticator, passwordless);
        Assert.Equal(200, added.StatusCode);
        return (client, added.Data.GetProperty("id").GetInt64());
    }

    /// <summary>
    /// A verified user, logged in with the password. (Right after signup a session has no authentication record,
    /// so allauth, and Gatehouse, ask it to reauthenticate before an authenticator can be added.)
    /// </summary>
    protected static async Task<ApiClient> UserAsync(GatehouseApp app, ClientKind kind, string email = Email)
    {
        await SignedUpAndVerifiedAsync(app, kind, email);
        return await LoggedInAsync(app, kind, email);
    }

    protected static Task<int> WebAuthnCountAsync(GatehouseApp app) =>
        app.DbAsync(db => db.Authenticators.CountAsync(a => a.Type == "webauthn"));

    protected static Task<long?> CounterAsync(GatehouseApp app, long id) =>
        app.DbAsync(db => db.Authenticators.Where(a => a.Id == id).Select(a => a.Counter).FirstAsync());

    /// <summary>The request options of <paramref name="path"/> (asserts the 200).</summary>
    protected static async Task<JsonElement> RequestOptionsAsync(ApiClient client, string path)
    {
        var options = await client.GetAsync(path);
        Assert.Equal(200, options.StatusCode);
        return options.Data.GetProperty("request_options");
    }

    /// <summary>The methods of an authenticated response, as (method, type, passwordless, reauthenticated).</summary>
    protected static List<(string Method, string? Type, bool Passwordless, bool Reauthenticated)> Methods(ApiResponse response) =>
        response.Data.GetProperty("methods").EnumerateArray().Select(m => (
            m.GetProperty("method").GetString()!,
            m.TryGetProperty("type", out var t) ? t.GetString() : null,
            m.TryGetProperty("passwordless", out var p) && p.GetBoolean(),
            m.TryGetProperty("reauthenticated", out var r) && r.GetBoolean())).ToList();
}
