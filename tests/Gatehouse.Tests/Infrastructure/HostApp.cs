using System.Globalization;
using System.Net;
using Gatehouse.HostApi;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// A host app that embeds Gatehouse and protects its own endpoints with it, as the README's "Protect your own
/// API" section says: AddGatehouse(configuration), AddAuthentication().AddGatehouse(), MapGatehouse(), and its
/// routes. Its own database (fresh SQLite file or PostgreSQL database, migrated by MigrateGatehouseAsync), real
/// SMTP to a catcher, TestServer.
/// </summary>
public sealed class HostApp : IAsyncDisposable
{
    private readonly string? _sqliteDirectory;
    private readonly string? _postgres;

    private HostApp(WebApplication app, SmtpCatcher mail, string? sqliteDirectory, string? postgres)
    {
        App = app;
        Mail = mail;
        _sqliteDirectory = sqliteDirectory;
        _postgres = postgres;
    }

    public WebApplication App { get; }
    public SmtpCatcher Mail { get; }

    public static async Task<HostApp> StartAsync(DatabaseKind database, Action<WebApplication> map,
        IDictionary<string, string?>? settings = null, Action<WebApplicationBuilder>? configure = null)
    {
        var mail = await SmtpCatcher.StartAsync();
        string? directory = null;
        string? postgres = null;
        string connectionString;
        if (database == DatabaseKind.Postgres)
        {
            postgres = connectionString = await PostgresServer.CreateDatabaseAsync("gatehouse_host");
        }
        else
        {
            directory = Directory.CreateTempSubdirectory("gatehouse-host-").FullName;
            connectionString = $"Data Source={Path.Combine(directory, "host.db")};Pooling=false";
        }
        var all = LibraryHost.BaseSettings(database, connectionString);
        all["Gatehouse:Email:Smtp:Port"] = mail.Port.ToString(CultureInfo.InvariantCulture);
        all["Gatehouse:Email:Smtp:Security"] = "None";
        all["Gatehouse:Passwords:Iterations"] = "1000";
        all["Gatehouse:RateLimits:Enabled"] = "false";
        all["Gatehouse:Sessions:CookieSecure"] = "false";
        // Signup logs in at once, unverified: the tests verify the address themselves where they need it.
        all["Gatehouse:Account:EmailVerification"] = "Optional";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(all);
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddGatehouse(builder.Configuration);
        builder.Services.AddAuthentication().AddGatehouse();
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapGatehouse();
        map(app);
        var host = new HostApp(app, mail, directory, postgres);
        await app.MigrateGatehouseAsync();
        await app.StartAsync();
        return host;
    }

    /// <summary>A client of <paramref name="kind"/> that keeps its cookies or token, like a real frontend.</summary>
    public ApiClient Client(ClientKind kind)
    {
        var cookies = new CookieContainer();
        var http = new HttpClient(new CookieContainerHandler(cookies) { InnerHandler = App.GetTestServer().CreateHandler() })
        {
            BaseAddress = new Uri("http://localhost"),
        };
        return new ApiClient(kind, http, cookies);
    }

    public async Task<T> DbAsync<T>(Func<GatehouseDbContext, Task<T>> query)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<GatehouseDbContext>());
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Mail.DisposeAsync();
        if (_postgres is not null)
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await PostgresServer.DropDatabaseAsync(_postgres);
        }
        if (_sqliteDirectory is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_sqliteDirectory, recursive: true);
            }
            catch (IOException)
            {
                // a file still open on a slow shutdown; the temp folder is cleaned by the OS
            }
        }
    }
}
