using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gatehouse.Configuration;
using Gatehouse.HostApi;
using Gatehouse.Sessions;
using Gatehouse.Storage.Entities;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Tests.HostApi;

/// <summary>
/// A host app protects its own endpoints with AddAuthentication().AddGatehouse() and Gatehouse's policies (C8):
/// the browser cookie (CSRF enforced on unsafe methods), the app's session token, the claims the policies read,
/// and the envelope for 401/403. Both databases, both clients.
/// </summary>
public abstract class HostApiTests(DatabaseKind database) : IAsyncLifetime
{
    private const string Password = "Tr0ub4dor&3-horse";
    private HostApp? _host;
    private int _writes;

    public static TheoryData<ClientKind> Clients => new() { ClientKind.App, ClientKind.Browser };

    private async Task<HostApp> StartAsync(Dictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null,
        Action<WebApplication>? pipeline = null)
    {
        _host = await HostApp.StartAsync(database, app =>
        {
            pipeline?.Invoke(app);
            app.MapGatehouseUserApi();
            app.MapGet("/api/open", () => "open to all");
            app.MapGet("/api/default", () => "default policy").RequireAuthorization();
            app.MapPost("/api/notes", () =>
            {
                Interlocked.Increment(ref _writes);
                return Results.Json(new { saved = true });
            }).RequireAuthorization(GatehousePolicies.Authenticated);
            app.MapGet("/api/verified", () => "verified").RequireAuthorization(GatehousePolicies.VerifiedEmail);
            app.MapGet("/api/mfa", () => "mfa").RequireAuthorization(GatehousePolicies.MfaEnabled);
            app.MapGet("/api/staff", () => "staff").RequireAuthorization(GatehousePolicies.Staff);
            app.MapGet("/api/staff-role", () => "role").RequireAuthorization(policy => policy.RequireRole(GatehouseClaimTypes.StaffRole));
        }, settings, configure);
        return _host;
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task UsersMe_WithTheSession_AnswersTheSeedsFieldsFromTheClaims(ClientKind kind)
    {
        var host = await StartAsync();
        var client = await SignedUpAsync(host, kind, "alice@example.com");

        var me = await SendAsync(client, HttpMethod.Get, UserApi.MePath);

        Assert.Equal(200, me.StatusCode);
        var id = await UserIdAsync(host, "alice@example.com");
        Assert.Equal(id, me.Json.GetProperty("id").GetInt64());
        Assert.Equal("alice@example.com", me.Json.GetProperty("email").GetString());
        var session = await client.GetAsync("auth/session");
        Assert.Equal(session.Data.GetProperty("user").GetProperty("username").GetString(), me.Json.GetProperty("username").GetString());
        Assert.NotNull(me.Json.GetProperty("username").GetString());
        Assert.False(me.Json.GetProperty("has_mfa").GetBoolean());
        Assert.True(me.Headers.CacheControl?.NoStore);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task UsersMe_WithoutASession_Answers401InTheEnvelope(ClientKind kind)
    {
        var host = await StartAsync();
        var client = host.Client(kind);

        var me = await SendAsync(client, HttpMethod.Get, UserApi.MePath);
        var byDefault = await SendAsync(client, HttpMethod.Get, "/api/default");

        Assert.Equal(401, me.StatusCode);
        Assert.Equal(401, me.Json.GetProperty("status").GetInt32());
        Assert.Equal(["not_authenticated"], me.ErrorCodes);
        Assert.Equal(401, byDefault.StatusCode);
        Assert.Equal(["not_authenticated"], byDefault.ErrorCodes);
        Assert.Equal("open to all", (await SendAsync(client, HttpMethod.Get, "/api/open")).Json.GetString());
    }

    [Fact]
    public async Task APageNavigation_WithoutASession_GetsAPlainChallenge_NotTheEnvelope()
    {
        var host = await StartAsync();
        using var client = host.Client(ClientKind.Browser);
        using var request = new HttpRequestMessage(HttpMethod.Get, UserApi.MePath);
        request.Headers.Accept.ParseAdd("text/html,application/xhtml+xml");
        request.Headers.Add("Sec-Fetch-Mode", "navigate");

        using var response = await client.Http.SendAsync(request);

        Assert.Equal(401, (int)response.StatusCode);
        Assert.Equal("", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ADeadSessionToken_Answers401AuthenticationFailed()
    {
        var host = await StartAsync();
        var client = await SignedUpAsync(host, ClientKind.App, "alice@example.com");
        var token = client.SessionToken;
        Assert.Equal(401, (await client.DeleteAsync("auth/session")).StatusCode); // logged out: the token names no session now
        client.SessionToken = token;

        var me = await SendAsync(client, HttpMethod.Get, UserApi.MePath);

        Assert.Equal(401, me.StatusCode);
        Assert.Equal(["authentication_failed"], me.ErrorCodes);
    }

    [Fact]
    public async Task APostWithTheCookie_WithoutTheCsrfToken_Answers403CsrfFailed_AndTheEndpointDoesNotRun()
    {
        var host = await StartAsync();
        var client = await SignedUpAsync(host, ClientKind.Browser, "alice@example.com");
        Assert.NotNull(client.Cookie("sessionid"));

        var withoutToken = await SendAsync(client, HttpMethod.Post, "/api/notes", withCsrf: false);
        var wrongToken = await SendAsync(client, HttpMethod.Post, "/api/notes", withCsrf: false,
            headers: new() { ["X-CSRFToken"] = new string('a', 32) });
        var foreignOrigin = await SendAsync(client, HttpMethod.Post, "/api/notes",
            headers: new() { ["Origin"] = "https://evil.example" });

        foreach (var refused in new[] { withoutToken, wrongToken, foreignOrigin })
        {
            Assert.Equal(403, refused.StatusCode);
            Assert.Equal(["csrf_failed"], refused.ErrorCodes);
        }
        Assert.Equal(0, Volatile.Read(ref _writes));

        var withToken = await SendAsync(client, HttpMethod.Post, "/api/notes");
        Assert.Equal(200, withToken.StatusCode);
        Assert.Equal(1, Volatile.Read(ref _writes));
    }

    [Fact]
    public async Task APostWithTheSessionToken_NeedsNoCsrfToken()
    {
        // A custom header cannot be sent cross-site without a CORS preflight: a token is not ridden like a cookie.
        var host = await StartAsync();
        var client = await SignedUpAsync(host, ClientKind.App, "alice@example.com");

        var post = await SendAsync(client, HttpMethod.Post, "/api/notes");

        Assert.Equal(200, post.StatusCode);
        Assert.Equal(1, Volatile.Read(ref _writes));
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TheVerifiedEmailPolicy_RefusesAnUnverifiedAddress_AndAdmitsItOnceVerified(ClientKind kind)
    {
        var host = await StartAsync();
        var client = await SignedUpAsync(host, kind, "alice@example.com");

        var before = await SendAsync(client, HttpMethod.Get, "/api/verified");
        await host.DbAsync(db => db.EmailAddresses.Where(e => e.EmailNormalized == "alice@example.com")
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Verified, true)));
        var after = await SendAsync(client, HttpMethod.Get, "/api/verified");

        Assert.Equal(403, before.StatusCode);
        Assert.Equal(403, before.Json.GetProperty("status").GetInt32());
        Assert.Equal(["email_not_verified"], before.ErrorCodes);
        Assert.Equal(200, after.StatusCode);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TheMfaPolicy_RefusesAnAccountWithoutAnAuthenticator_AndAdmitsOneWithTotp(ClientKind kind)
    {
        var host = await StartAsync();
        var client = await SignedUpAsync(host, kind, "alice@example.com");

        var before = await SendAsync(client, HttpMethod.Get, "/api/mfa");
        await AddTotpAsync(host, "alice@example.com");
        var after = await SendAsync(client, HttpMethod.Get, "/api/mfa");
        var me = await SendAsync(client, HttpMethod.Get, UserApi.MePath);

        Assert.Equal(403, before.StatusCode);
        Assert.Equal(["mfa_required"], before.ErrorCodes);
        Assert.Equal(200, after.StatusCode);
        Assert.True(me.Json.GetProperty("has_mfa").GetBoolean());
    }

    [Fact]
    public async Task HasMfa_CountsOnlySupportedTypes()
    {
        // A TOTP authenticator is no second factor where TOTP is switched off: the login would not ask for it.
        // Set in code: configuration binding appends to the default list instead of replacing it.
        var host = await StartAsync(configure: builder => builder.Services.PostConfigure<MfaOptions>(mfa => mfa.SupportedTypes = [MfaTypes.WebAuthn]));
        var client = await SignedUpAsync(host, ClientKind.App, "alice@example.com");
        await AddTotpAsync(host, "alice@example.com");

        var mfa = await SendAsync(client, HttpMethod.Get, "/api/mfa");

        Assert.Equal(403, mfa.StatusCode);
        Assert.Equal(["mfa_required"], mfa.ErrorCodes);
    }

    [Theory, MemberData(nameof(Clients))]
    public async Task TheStaffPolicy_RefusesOthers_AndAdmitsStaff_ByPolicyAndByRole(ClientKind kind)
    {
        var host = await StartAsync();
        var client = await SignedUpAsync(host, kind, "alice@example.com");

        var before = await SendAsync(client, HttpMethod.Get, "/api/staff");
        var roleBefore = await SendAsync(client, HttpMethod.Get, "/api/staff-role");
        await MakeStaffAsync(host, "alice@example.com");
        var after = await SendAsync(client, HttpMethod.Get, "/api/staff");
        var roleAfter = await SendAsync(client, HttpMethod.Get, "/api/staff-role");

        Assert.Equal(403, before.StatusCode);
        Assert.Equal(["permission_denied"], before.ErrorCodes);
        Assert.Equal(403, roleBefore.StatusCode);
        Assert.Equal(["permission_denied"], roleBefore.ErrorCodes);
        Assert.Equal(200, after.StatusCode);
        Assert.Equal(200, roleAfter.StatusCode);
    }

    [Fact]
    public async Task WithMfaRequiredForStaff_StaffWithoutMfa_AreRefusedStaffEndpoints_UntilTheyHaveIt()
    {
        var host = await StartAsync(new() { ["Gatehouse:Mfa:RequiredForStaff"] = "true" });
        var client = await SignedUpAsync(host, ClientKind.App, "alice@example.com");
        await MakeStaffAsync(host, "alice@example.com");

        var without = await SendAsync(client, HttpMethod.Get, "/api/staff");
        await AddTotpAsync(host, "alice@example.com");
        var with = await SendAsync(client, HttpMethod.Get, "/api/staff");

        Assert.Equal(403, without.StatusCode);
        Assert.Equal(["mfa_required"], without.ErrorCodes);
        Assert.Equal(200, with.StatusCode);
    }

    [Fact]
    public async Task StaffWithoutMfa_AreAdmitted_WhenMfaIsNotRequiredForStaff()
    {
        var host = await StartAsync();
        var client = await SignedUpAsync(host, ClientKind.App, "alice@example.com");
        await MakeStaffAsync(host, "alice@example.com");

        Assert.Equal(200, (await SendAsync(client, HttpMethod.Get, "/api/staff")).StatusCode);
    }

    [Fact]
    public async Task ADeactivatedAccount_LosesAccessAtOnce()
    {
        var host = await StartAsync();
        var client = await SignedUpAsync(host, ClientKind.App, "alice@example.com");
        Assert.Equal(200, (await SendAsync(client, HttpMethod.Get, UserApi.MePath)).StatusCode);

        await host.DbAsync(db => db.Users.ExecuteUpdateAsync(s => s.SetProperty(u => u.IsActive, false)));
        var after = await SendAsync(client, HttpMethod.Get, UserApi.MePath);

        Assert.Equal(401, after.StatusCode);
        Assert.Equal(["authentication_failed"], after.ErrorCodes);
    }

    [Fact]
    public async Task TheCookieEndpointsAccessCookie_AuthenticatesHostRoutes_AndAPostNeedsTheCsrfPair()
    {
        var host = await StartAsync(new() { ["Gatehouse:CookieTokens:Enabled"] = "true" });
        await SignedUpAsync(host, ClientKind.App, "alice@example.com");
        var client = host.Client(ClientKind.Browser);
        using var login = await client.Http.PostAsync("/api/auth/token/",
            new StringContent("""{"email":"alice@example.com","password":"Tr0ub4dor&3-horse"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(200, (int)login.StatusCode);
        Assert.Null(client.Cookie("sessionid")); // only the cookie endpoints' tokens
        Assert.NotNull(client.Cookie("access_token"));

        var me = await SendAsync(client, HttpMethod.Get, UserApi.MePath);
        var withoutToken = await SendAsync(client, HttpMethod.Post, "/api/notes", withCsrf: false);
        var foreignOrigin = await SendAsync(client, HttpMethod.Post, "/api/notes", headers: new() { ["Origin"] = "https://evil.example" });
        Assert.Equal(0, Volatile.Read(ref _writes));
        var withToken = await SendAsync(client, HttpMethod.Post, "/api/notes");

        Assert.Equal(200, me.StatusCode);
        Assert.Equal("alice@example.com", me.Json.GetProperty("email").GetString());
        Assert.Equal(403, withoutToken.StatusCode);
        Assert.Equal(["csrf_failed"], withoutToken.ErrorCodes);
        Assert.Equal(403, foreignOrigin.StatusCode);
        Assert.Equal(200, withToken.StatusCode);
        Assert.Equal(1, Volatile.Read(ref _writes));
    }

    /// <summary>
    /// A host whose default scheme is its own: Gatehouse's policies still authenticate with Gatehouse's scheme, so a
    /// request the host's scheme accepted is not a Gatehouse user (401), and a Gatehouse session is (200).
    /// </summary>
    [Theory, MemberData(nameof(Clients))]
    public async Task WithAnotherDefaultScheme_ThePoliciesStillAskGatehouse(ClientKind kind)
    {
        var host = await StartAsync(configure: builder =>
        {
            builder.Services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, HeaderSchemeHandler>(HeaderSchemeHandler.Name, null);
            builder.Services.Configure<AuthenticationOptions>(options => options.DefaultScheme = HeaderSchemeHandler.Name);
        });
        var stranger = host.Client(kind);
        var headerOnly = new Dictionary<string, string> { [HeaderSchemeHandler.Header] = "yes" };

        var byTheHostsScheme = await SendAsync(stranger, HttpMethod.Get, "/api/default", headers: headerOnly);
        var byGatehouse = await SendAsync(stranger, HttpMethod.Get, UserApi.MePath, headers: headerOnly);
        var user = await SignedUpAsync(host, kind, "alice@example.com");
        var withTheSession = await SendAsync(user, HttpMethod.Get, UserApi.MePath);

        Assert.Equal(200, byTheHostsScheme.StatusCode);
        Assert.Equal(401, byGatehouse.StatusCode);
        Assert.Equal(["not_authenticated"], byGatehouse.ErrorCodes);
        Assert.Equal(200, withTheSession.StatusCode);
        Assert.Equal("alice@example.com", withTheSession.Json.GetProperty("email").GetString());
    }

    /// <summary>
    /// Gatehouse is the default scheme, and something else in the host's pipeline (a middleware here; Windows
    /// authentication at the server would do the same) sets HttpContext.User to a principal that carries every claim
    /// the policies read: none of Gatehouse's policies accepts it.
    /// </summary>
    [Theory]
    [InlineData(UserApi.MePath)]
    [InlineData("/api/verified")]
    [InlineData("/api/mfa")]
    [InlineData("/api/staff")]
    public async Task APrincipalGatehouseDidNotIssue_PassesNoGatehousePolicy(string path)
    {
        var host = await StartAsync(pipeline: app =>
        {
            app.Use((context, next) =>
            {
                if (context.Request.Headers.ContainsKey(HeaderSchemeHandler.Header))
                {
                    context.User = new ClaimsPrincipal(new ClaimsIdentity(
                    [
                        new Claim(GatehouseClaimTypes.UserId, "1"), new Claim(GatehouseClaimTypes.EmailVerified, "true"),
                        new Claim(GatehouseClaimTypes.IsStaff, "true"), new Claim(GatehouseClaimTypes.HasMfa, "true"),
                    ], "Foreign"));
                }
                return next(context);
            });
            app.UseAuthentication();
            app.UseAuthorization();
        });
        var stranger = host.Client(ClientKind.App);

        var response = await SendAsync(stranger, HttpMethod.Get, path, headers: new Dictionary<string, string> { [HeaderSchemeHandler.Header] = "yes" });

        Assert.Equal(401, response.StatusCode);
        Assert.Equal(["not_authenticated"], response.ErrorCodes);
    }

    /// <summary>A host's own scheme: anyone who sends the header is "authenticated".</summary>
    private sealed class HeaderSchemeHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string Name = "HostHeader";
        public const string Header = "X-Host-Auth";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
            Task.FromResult(Request.Headers.ContainsKey(Header)
                ? AuthenticateResult.Success(new AuthenticationTicket(
                    new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "host-user")], Name)), Name))
                : AuthenticateResult.NoResult());
    }

    private static async Task<ApiClient> SignedUpAsync(HostApp host, ClientKind kind, string email)
    {
        var client = host.Client(kind);
        var signup = await client.PostAsync("auth/signup", new { email, password = Password });
        Assert.Equal(200, signup.StatusCode);
        return client;
    }

    /// <summary>A request to a host route with the client's credentials: its token (app) or cookies plus X-CSRFToken (browser).</summary>
    private static async Task<ApiResponse> SendAsync(ApiClient client, HttpMethod method, string path, bool withCsrf = true,
        Dictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (client.Kind == ClientKind.App && client.SessionToken is not null)
        {
            request.Headers.Add("X-Session-Token", client.SessionToken);
        }
        if (client.Kind == ClientKind.Browser && withCsrf && method != HttpMethod.Get && client.Cookie("csrftoken") is { } csrf)
        {
            request.Headers.Add("X-CSRFToken", csrf);
        }
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await client.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var isJson = response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) == true;
        return new ApiResponse((int)response.StatusCode, isJson ? body : JsonSerializer.Serialize(body), response.Headers, response.Content.Headers);
    }

    private static Task<long> UserIdAsync(HostApp host, string email) =>
        host.DbAsync(db => db.EmailAddresses.Where(e => e.EmailNormalized == email).Select(e => e.UserId).SingleAsync());

    [Fact]
    public async Task AHostThatAuthenticatesBeforeRouting_StillHasGatehousesOwnRoutesCheckTheSession()
    {
        // Before routing the handler cannot tell our routes from the host's, so host rules applied (stateless claims,
        // the access cookie); the endpoint filter must resolve again, or an ended session's token lives on here.
        _host = await HostApp.StartAsync(database, app =>
        {
            app.UseAuthentication();
            app.UseRouting();
        }, new Dictionary<string, string?>
        {
            ["Gatehouse:Tokens:Strategy"] = "Jwt",
            ["Gatehouse:Tokens:StatefulValidation"] = "false",
        });
        var signup = await _host.Client(ClientKind.App).PostAsync("auth/signup", new { email = "early@example.com", password = Password });
        Assert.Equal(200, signup.StatusCode);
        var bearer = new Dictionary<string, string> { ["Authorization"] = "Bearer " + signup.Meta.GetProperty("access_token").GetString() };
        Assert.Equal(200, (await _host.Client(ClientKind.App).SendAsync(HttpMethod.Get, "auth/session", null, bearer)).StatusCode);

        Assert.Equal(401, (await _host.Client(ClientKind.App).SendAsync(HttpMethod.Delete, "auth/session", null, bearer)).StatusCode);
        var after = await _host.Client(ClientKind.App).SendAsync(HttpMethod.Get, "auth/session", null, bearer);

        Assert.Equal(410, after.StatusCode);
    }

    private static async Task MakeStaffAsync(HostApp host, string email)
    {
        var id = await UserIdAsync(host, email);
        await host.DbAsync(db => db.Users.Where(u => u.Id == id).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsStaff, true)));
    }

    private static async Task AddTotpAsync(HostApp host, string email)
    {
        var id = await UserIdAsync(host, email);
        await host.DbAsync(async db =>
        {
            db.Authenticators.Add(new Authenticator { UserId = id, Type = "totp", Data = "{}", CreatedAt = DateTime.UtcNow });
            return await db.SaveChangesAsync();
        });
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }
}

public sealed class SqliteHostApiTests() : HostApiTests(DatabaseKind.Sqlite);
public sealed class PostgresHostApiTests() : HostApiTests(DatabaseKind.Postgres);
