using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// Someone else's ASP.NET Core app that embeds Gatehouse with AddGatehouse()/MapGatehouse() and maps its
/// own routes: not Gatehouse.Server. Runs on TestServer; the database is the caller's.
/// </summary>
public sealed class LibraryHost : IAsyncDisposable
{
    private LibraryHost(WebApplication app) => App = app;

    public WebApplication App { get; }
    public HttpClient Client() => App.GetTestClient();

    /// <summary>Settings every host needs (a key, SMTP, a frontend origin); the caller adds its database.</summary>
    public static Dictionary<string, string?> BaseSettings(DatabaseKind database, string connectionString) => new()
    {
        ["Gatehouse:SecretKey"] = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i * 3 + 5)).ToArray()),
        ["Gatehouse:Database:Provider"] = database.ToString(),
        ["Gatehouse:Database:ConnectionString"] = connectionString,
        ["Gatehouse:Email:Delivery"] = "Smtp",
        ["Gatehouse:Email:Smtp:Host"] = "127.0.0.1",
        ["Gatehouse:FrontendUrls:BaseUrl"] = "https://app.example.com",
        ["Logging:LogLevel:Default"] = "Warning",
    };

    /// <summary>
    /// Builds the host (not started). <paramref name="map"/> adds the host's own routes after MapGatehouse.
    /// </summary>
    public static LibraryHost Build(IDictionary<string, string?> settings, string environment = "Production", Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseTestServer();
        var logs = new LogCapture();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.Services.AddGatehouse(builder.Configuration);
        var app = builder.Build();
        app.MapGatehouse();
        map?.Invoke(app);
        var host = new LibraryHost(app);
        host._logs = logs;
        return host;
    }

    private LogCapture? _logs;
    public IReadOnlyList<string> LogLines => _logs!.Lines;

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}
