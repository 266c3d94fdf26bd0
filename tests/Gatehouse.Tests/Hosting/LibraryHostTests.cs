using Gatehouse.HostApi;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Tests.Hosting;

/// <summary>
/// AddGatehouse() in someone else's app changes only /_allauth: the host's own routes get no CORS, no
/// security headers and no forwarded-header handling from it. HTTP layer only: SQLite.
/// </summary>
public sealed class LibraryHostTests : IAsyncLifetime
{
    private const string Frontend = "https://app.example.com";
    private readonly string _directory = Directory.CreateTempSubdirectory("gatehouse-library-").FullName;
    private LibraryHost? _host;

    [Fact]
    public async Task AHostRoute_GetsNoCorsHeaders_EvenForAGatehouseOrigin_AndNoGatehouseSecurityHeaders()
    {
        var host = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/hello");
        request.Headers.Add("Origin", Frontend);

        using var response = await host.Client().SendAsync(request);

        Assert.Equal("hello", await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(response.Headers.Contains("X-Frame-Options"));
        Assert.False(response.Headers.Contains("X-Content-Type-Options"));
        Assert.False(response.Headers.Contains("Cross-Origin-Opener-Policy"));
        Assert.Null(response.Headers.CacheControl);
    }

    [Fact]
    public async Task APreflightToAHostRoute_IsNotAnsweredByGatehouse()
    {
        var host = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Options, "/hello");
        request.Headers.Add("Origin", Frontend);
        request.Headers.Add("Access-Control-Request-Method", "POST");

        using var response = await host.Client().SendAsync(request);

        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(response.Headers.Contains("Access-Control-Allow-Credentials"));
    }

    [Fact]
    public async Task TheApiRoutes_KeepTheirCorsAndSecurityHeaders()
    {
        var host = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/_allauth/browser/v1/config");
        request.Headers.Add("Origin", Frontend);
        using var foreign = new HttpRequestMessage(HttpMethod.Get, "/_allauth/browser/v1/config");
        foreign.Headers.Add("Origin", "https://evil.example");

        using var response = await host.Client().SendAsync(request);
        using var foreignResponse = await host.Client().SendAsync(foreign);

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(Frontend, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("true", response.Headers.GetValues("Access-Control-Allow-Credentials").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.False(foreignResponse.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task ForwardedHeaders_AreLeftToTheHost()
    {
        // Even with trusted proxies configured, the library does not rewrite the host's requests.
        var host = await StartAsync(new() { ["Gatehouse:Http:TrustedProxies:0"] = "127.0.0.1" });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-For", "198.51.100.7");

        using var response = await host.Client().SendAsync(request);

        Assert.Equal("http ", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public void Gatehouse_RegistersNoHttpContextAccessor()
    {
        // The accessor writes an AsyncLocal on every request of the host, Gatehouse's or not; Gatehouse's services
        // read the request from AuthContext instead. A host that wants the accessor registers it itself.
        var settings = new Dictionary<string, string?> { ["Gatehouse:SecretKey"] = Convert.ToBase64String(new byte[32]) };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();

        services.AddGatehouse(configuration);
        services.AddAuthentication().AddGatehouse();

        Assert.DoesNotContain(services, d => d.ServiceType == typeof(IHttpContextAccessor));
        Assert.Contains(services, d => d.ServiceType == typeof(Gatehouse.Sessions.AuthContext));
    }

    [Fact]
    public async Task InDevelopment_AHostRouteError_StillGetsTheHostsDeveloperPage()
    {
        // The envelope is for /_allauth; the host's own routes keep the page it expects in Development.
        var host = await StartAsync(environment: "Development");

        using var response = await host.Client().GetAsync("/boom");

        Assert.Equal(500, (int)response.StatusCode);
        Assert.Contains("the host's own bug", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InProduction_DefaultFrontendUrls_AreWarnedAboutOnce_NamingEachDefault()
    {
        var host = await StartAsync(new() { ["Gatehouse:FrontendUrls:account_signup"] = "https://app.example.com/join" });

        var warning = Assert.Single(host.LogLines, line => line.Contains("default frontend pages", StringComparison.Ordinal));
        Assert.StartsWith("Warning ", warning, StringComparison.Ordinal);
        Assert.Contains("https://app.example.com", warning, StringComparison.Ordinal);
        Assert.Contains("account_confirm_email=/account/verify-email/{key}", warning, StringComparison.Ordinal);
        Assert.Contains("account_reset_password_from_key=", warning, StringComparison.Ordinal);
        Assert.DoesNotContain("account_signup", warning, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Development", false)]
    [InlineData("Production", true)]
    public async Task NoFrontendUrlWarning_InDevelopment_OrWhenEveryTemplateIsSet(string environment, bool setAll)
    {
        var settings = setAll
            ? new Dictionary<string, string?>
            {
                ["Gatehouse:FrontendUrls:account_confirm_email"] = "https://app.example.com/verify?key={key}",
                ["Gatehouse:FrontendUrls:account_reset_password_from_key"] = "https://app.example.com/reset?key={key}",
                ["Gatehouse:FrontendUrls:account_reset_password"] = "https://app.example.com/reset",
                ["Gatehouse:FrontendUrls:account_signup"] = "https://app.example.com/join",
            }
            : [];

        var host = await StartAsync(settings, environment);

        Assert.DoesNotContain(host.LogLines, line => line.Contains("default frontend pages", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AtInformation_ASignup_WritesNoEfCoreCommandLineToTheHostsLog()
    {
        // The outbox poll and every flow run SQL; a host logging at Information must not get each command.
        var host = await StartAsync(new() { ["Logging:LogLevel:Default"] = "Information" });
        using var client = new ApiClient(Gatehouse.Sessions.ClientKind.App, host.Client(), new System.Net.CookieContainer());

        var signup = await client.PostAsync("auth/signup", new { email = "quiet@example.com", password = "Tr0ub4dor&3-horse" });

        Assert.Equal(401, signup.StatusCode);
        Assert.Contains(host.LogLines, line => line.StartsWith("Information ", StringComparison.Ordinal));
        Assert.DoesNotContain(host.LogLines, line => line.Contains("Microsoft.EntityFrameworkCore.Database.Command", StringComparison.Ordinal));
        Assert.DoesNotContain(host.LogLines, line => line.Contains("Executed DbCommand", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ASignupAndAFailedLogin_AreLoggedAsAuditEvents_WithoutSecretsOrTheFullAddress()
    {
        var host = await StartAsync(new() { ["Logging:LogLevel:Default"] = "Information" });
        using var client = new ApiClient(Gatehouse.Sessions.ClientKind.App, host.Client(), new System.Net.CookieContainer());
        const string password = "Tr0ub4dor&3-horse";

        var signup = await client.PostAsync("auth/signup", new { email = "audited@example.com", password });
        using var other = new ApiClient(Gatehouse.Sessions.ClientKind.App, host.Client(), new System.Net.CookieContainer());
        var login = await other.PostAsync("auth/login", new { email = "audited@example.com", password = "wrong-" + password });

        Assert.Equal(401, signup.StatusCode);
        Assert.Equal(400, login.StatusCode);
        var audit = host.LogLines.Where(line => line.Contains(" Gatehouse.Audit:", StringComparison.Ordinal)).ToList();
        Assert.Contains(audit, line => line.StartsWith("Information ", StringComparison.Ordinal) && line.Contains("signed_up", StringComparison.Ordinal)
            && line.Contains("success", StringComparison.Ordinal) && line.Contains("a***@example.com", StringComparison.Ordinal));
        Assert.Contains(audit, line => line.Contains("login_failed", StringComparison.Ordinal) && line.Contains("failure", StringComparison.Ordinal));
        Assert.DoesNotContain(host.LogLines, line => line.Contains("audited@example.com", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(host.LogLines, line => line.Contains(password, StringComparison.Ordinal));
        Assert.DoesNotContain(host.LogLines, line => line.Contains(signup.SessionTokenInMeta!, StringComparison.Ordinal));
    }

    private async Task<LibraryHost> StartAsync(Dictionary<string, string?>? extra = null, string environment = "Production")
    {
        var settings = LibraryHost.BaseSettings(DatabaseKind.Sqlite, $"Data Source={Path.Combine(_directory, "gatehouse.db")};Pooling=false");
        settings["Gatehouse:Http:CorsOrigins:0"] = Frontend;
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }
        _host = LibraryHost.Build(settings, environment, app =>
        {
            app.MapGet("/hello", () => "hello");
            app.MapGet("/whoami", (HttpContext context) => $"{context.Request.Scheme} {context.Connection.RemoteIpAddress}");
            app.MapGet("/boom", string () => throw new InvalidOperationException("the host's own bug"));
        });
        await _host.App.MigrateGatehouseAsync();
        await _host.App.StartAsync();
        return _host;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a file still open on a slow shutdown; the temp folder is cleaned by the OS
        }
    }
}
