using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using Gatehouse.Storage.Entities;
using Gatehouse.Tests.Infrastructure;
using Gatehouse.Tests.Tokens;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Tests.HostApi;

/// <summary>
/// Bearer access tokens (Strategy=Jwt) on a host endpoint: on Gatehouse's own scheme (the server's
/// /api/v1/users/me), where the token's session is checked on every request, and on a separate ASP.NET Core
/// service that does not host Gatehouse and validates the token with Microsoft's JwtBearer against Gatehouse's
/// JWKS, configured exactly as the README says.
/// </summary>
public abstract class BearerHostApiTests(DatabaseKind database) : JwtTestBase(database)
{
    private const string Issuer = "https://auth.gatehouse.test";
    private const string Audience = "https://api.gatehouse.test";

    [Fact]
    public async Task UsersMe_WithTheAccessToken_AnswersTheUser_WithTodaysFactsFromTheSession()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);

        var before = await BearerGetAsync(app.CreateClient(), "/api/v1/users/me", pair.Access);
        var userId = await app.DbAsync(db => Task.FromResult(db.Users.Single().Id));
        await AddAuthenticatorAsync(app, userId, "totp");
        var after = await BearerGetAsync(app.CreateClient(), "/api/v1/users/me", pair.Access);

        Assert.Equal(200, before.Status);
        Assert.Equal(userId, before.Json.GetProperty("id").GetInt64());
        Assert.Equal(Email, before.Json.GetProperty("email").GetString());
        Assert.False(before.Json.GetProperty("has_mfa").GetBoolean());
        // The same token: the host scheme reads the account as it is now, not as it was when the token was signed.
        Assert.True(after.Json.GetProperty("has_mfa").GetBoolean());
    }

    [Fact]
    public async Task UsersMe_WithTheTokenOfAnEndedSession_Answers401InvalidToken_AtOnce()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);
        Assert.Equal(200, (await BearerGetAsync(app.CreateClient(), "/api/v1/users/me", pair.Access)).Status);

        Assert.Equal(401, (await WithBearerAsync(app, HttpMethod.Delete, "auth/session", pair.Access)).StatusCode);
        var after = await BearerGetAsync(app.CreateClient(), "/api/v1/users/me", pair.Access);

        Assert.Equal(401, after.Status);
        Assert.Equal("authentication_failed", after.Json.GetProperty("errors")[0].GetProperty("code").GetString());
        Assert.Equal("Bearer error=\"invalid_token\"", after.WwwAuthenticate);
    }

    [Fact]
    public async Task Stateless_UsersMe_AnswersFromTheTokensClaims_WithoutTheSession_UntilTheTokenExpires()
    {
        // Tokens:StatefulValidation=false (allauth's default): a host route trusts the signed claims, Gatehouse's own
        // endpoints still check the session.
        var app = await StartAsync(new Dictionary<string, string?> { ["Gatehouse:Tokens:StatefulValidation"] = "false" });
        var pair = await LoginAsync(app);
        var userId = await app.DbAsync(db => Task.FromResult(db.Users.Single().Id));
        await AddAuthenticatorAsync(app, userId, "totp");

        var me = await BearerGetAsync(app.CreateClient(), "/api/v1/users/me", pair.Access);
        Assert.Equal(200, me.Status);
        Assert.Equal(userId, me.Json.GetProperty("id").GetInt64());
        Assert.Equal(Email, me.Json.GetProperty("email").GetString());
        Assert.False(me.Json.GetProperty("has_mfa").GetBoolean()); // as signed, not as the account is now

        Assert.Equal(401, (await WithBearerAsync(app, HttpMethod.Delete, "auth/session", pair.Access)).StatusCode);
        Assert.Equal(410, (await WithBearerAsync(app, HttpMethod.Get, "auth/session", pair.Access)).StatusCode);
        Assert.Equal(200, (await BearerGetAsync(app.CreateClient(), "/api/v1/users/me", pair.Access)).Status);

        app.Clock.Advance(TimeSpan.FromSeconds(300 + 31)); // AccessTokenLifetime + ClockSkew
        Assert.Equal(401, (await BearerGetAsync(app.CreateClient(), "/api/v1/users/me", pair.Access)).Status);
    }

    [Fact]
    public async Task AccessTokens_CarryHasMfa_OnlyForAuthenticatorsOfASupportedType_AsTheSessionCheckDoes()
    {
        var app = await StartAsync(new Dictionary<string, string?>
        {
            ["Gatehouse:Mfa:SupportedTypes:0"] = "totp",
            ["Gatehouse:Mfa:SupportedTypes:1"] = "recovery_codes",
        });
        await (await SignedUpAndVerifiedAsync(app, Gatehouse.Sessions.ClientKind.App, Email)).DeleteAsync("auth/session");
        var userId = await app.DbAsync(db => Task.FromResult(db.Users.Single().Id));
        await AddAuthenticatorAsync(app, userId, "webauthn");

        var pair = await PasswordLoginAsync(app); // webauthn is switched off: no second factor is asked
        var me = await BearerGetAsync(app.CreateClient(), "/api/v1/users/me", pair.Access);

        Assert.False(Decode(pair.Access).GetPayloadValue<bool>("has_mfa"));
        Assert.False(me.Json.GetProperty("has_mfa").GetBoolean());
    }

    [Fact]
    public async Task UsersMe_WithATamperedToken_Answers401InvalidToken()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);

        var response = await BearerGetAsync(app.CreateClient(), "/api/v1/users/me", Tamper(pair.Access));

        Assert.Equal(401, response.Status);
        Assert.Equal("authentication_failed", response.Json.GetProperty("errors")[0].GetProperty("code").GetString());
        Assert.Equal("Bearer error=\"invalid_token\"", response.WwwAuthenticate);
    }

    [Fact]
    public async Task UsersMe_WithoutCredentials_ChallengesForABearerToken()
    {
        var app = await StartAsync();

        var response = await BearerGetAsync(app.CreateClient(), "/api/v1/users/me", access: null);

        Assert.Equal(401, response.Status);
        Assert.Equal("not_authenticated", response.Json.GetProperty("errors")[0].GetProperty("code").GetString());
        Assert.Equal("Bearer", response.WwwAuthenticate);
    }

    [Fact]
    public async Task ASeparateService_AcceptsTheAccessTokenGatehouseIssued_WithItsClaims()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);
        var service = await StartSeparateServiceAsync(app, Audience);

        var orders = await BearerGetAsync(service, "/orders", pair.Access);

        Assert.Equal(200, orders.Status);
        var userId = await app.DbAsync(db => Task.FromResult(db.Users.Single().Id));
        Assert.Equal(userId.ToString(System.Globalization.CultureInfo.InvariantCulture), orders.Json.GetProperty("sub").GetString());
        Assert.Equal(Email, orders.Json.GetProperty("email").GetString());
        Assert.Equal("true", orders.Json.GetProperty("email_verified").GetString());
        Assert.Equal("false", orders.Json.GetProperty("has_mfa").GetString());
    }

    [Fact]
    public async Task ASeparateService_RefusesATamperedToken_AndATokenForAnotherAudience_AndNoToken()
    {
        var app = await StartAsync();
        var pair = await LoginAsync(app);
        var service = await StartSeparateServiceAsync(app, Audience);
        var otherAudience = await StartSeparateServiceAsync(app, "https://billing.gatehouse.test");

        Assert.Equal(401, (await BearerGetAsync(service, "/orders", Tamper(pair.Access))).Status);
        Assert.Equal(401, (await BearerGetAsync(otherAudience, "/orders", pair.Access)).Status);
        Assert.Equal(401, (await BearerGetAsync(service, "/orders", access: null)).Status);
        Assert.Equal(200, (await BearerGetAsync(service, "/orders", pair.Access)).Status);
    }

    [Fact]
    public async Task ASeparateService_ValidatesStatelessly_WhileGatehouseRefusesTheTokenOfAnEndedSession()
    {
        // What the README says of the difference: a service without Gatehouse's database trusts a token until it
        // expires (AccessTokenLifetime, 300 s by default); Gatehouse's own scheme ends it with its session.
        var app = await StartAsync();
        var pair = await LoginAsync(app);
        var service = await StartSeparateServiceAsync(app, Audience);
        Assert.Equal(401, (await WithBearerAsync(app, HttpMethod.Delete, "auth/session", pair.Access)).StatusCode);

        Assert.Equal(200, (await BearerGetAsync(service, "/orders", pair.Access)).Status);
        Assert.Equal(401, (await BearerGetAsync(app.CreateClient(), "/api/v1/users/me", pair.Access)).Status);
    }

    /// <summary>An authenticator row as MFA set-up would leave it (its data does not matter to the host scheme).</summary>
    private static Task<int> AddAuthenticatorAsync(GatehouseApp app, long userId, string type) => app.DbAsync(db =>
    {
        db.Authenticators.Add(new Authenticator { UserId = userId, Type = type, Data = "{}", CreatedAt = DateTime.UtcNow });
        return db.SaveChangesAsync();
    });

    /// <summary>A second ASP.NET Core app, its own host and pipeline, that knows Gatehouse only by its JWKS URL.</summary>
    private async Task<HttpClient> StartSeparateServiceAsync(GatehouseApp gatehouse, string audience)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        // The JWKS is fetched over HTTP from the Gatehouse app (TestServer here, https in the README).
        var documents = new HttpDocumentRetriever(new HttpClient(gatehouse.Server.CreateHandler())) { RequireHttps = false };

        // --- the README's JwtBearer configuration (issuer, audience and URL are this test's) ---
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false; // keep Gatehouse's claim names: sub, email, email_verified, is_staff, has_mfa
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = Issuer,                 // Gatehouse:Tokens:Issuer
                ValidAudience = audience,             // Gatehouse:Tokens:Audience
                ValidAlgorithms = ["ES256", "RS256"], // never "none", never HMAC
                NameClaimType = "sub",
            };
            options.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(
                "http://localhost/.well-known/jwks.json", new JwksRetriever(), documents);
        });
        builder.Services.AddAuthorization();
        // --- end of the snippet ---

        var service = builder.Build();
        service.MapGet("/orders", (ClaimsPrincipal user) => Results.Json(new Dictionary<string, string?>
        {
            ["sub"] = user.FindFirstValue("sub"),
            ["email"] = user.FindFirstValue("email"),
            ["email_verified"] = user.FindFirstValue("email_verified"),
            ["has_mfa"] = user.FindFirstValue("has_mfa"),
        })).RequireAuthorization(policy => policy.RequireClaim("token_use", "access"));
        await service.StartAsync();
        _services.Add(service);
        return service.GetTestClient();
    }

    private readonly List<WebApplication> _services = [];

    /// <summary>
    /// The README's adapter: Gatehouse publishes a JWKS, not an OpenID Connect discovery document, so JwtBearer's
    /// configuration manager is given the key set itself (it caches it and re-reads it on an unknown kid).
    /// </summary>
    private sealed class JwksRetriever : IConfigurationRetriever<OpenIdConnectConfiguration>
    {
        public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
        {
            var keys = new JsonWebKeySet(await retriever.GetDocumentAsync(address, cancel));
            var configuration = new OpenIdConnectConfiguration();
            foreach (var key in keys.GetSigningKeys())
            {
                configuration.SigningKeys.Add(key);
            }
            return configuration;
        }
    }

    private static string Tamper(string token)
    {
        // Change one character of the payload: the signature no longer matches.
        var parts = token.Split('.');
        var payload = parts[1].ToCharArray();
        payload[5] = payload[5] == 'A' ? 'B' : 'A';
        return $"{parts[0]}.{new string(payload)}.{parts[2]}";
    }

    private sealed record Answer(int Status, JsonElement Json, string? WwwAuthenticate);

    private static async Task<Answer> BearerGetAsync(HttpClient http, string path, string? access)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (access is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", access);
        }
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return new Answer((int)response.StatusCode, body.Length > 0 ? JsonDocument.Parse(body).RootElement.Clone() : default,
            response.Headers.WwwAuthenticate.Count > 0 ? response.Headers.WwwAuthenticate.ToString() : null);
    }

    public override async Task DisposeAsync()
    {
        foreach (var service in _services)
        {
            await service.DisposeAsync();
        }
        await base.DisposeAsync();
    }
}

public sealed class SqliteBearerHostApiTests() : BearerHostApiTests(DatabaseKind.Sqlite);
public sealed class PostgresBearerHostApiTests() : BearerHostApiTests(DatabaseKind.Postgres);
