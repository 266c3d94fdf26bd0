using System.Net;
using Gatehouse.Email;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Gatehouse.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Tests.Infrastructure;

public enum DatabaseKind { Sqlite, Postgres }

/// <summary>
/// One Gatehouse server per test: the real HTTP pipeline (WebApplicationFactory over the real host),
/// its own database (a fresh SQLite file or a fresh PostgreSQL database, migrated by the product's own
/// migrator), real SMTP delivery to a catcher, and a clock the test moves.
/// </summary>
public sealed class GatehouseApp : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;
    private readonly string? _sqliteDirectory;
    private readonly string? _postgresConnectionString;
    private readonly Action<IServiceCollection>? _configureServices;

    public SmtpCatcher Mail { get; }
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);
    public DatabaseKind Database { get; }
    /// <summary>The database this app runs on; another app may be started on it (see the StartAsync overload).</summary>
    public string ConnectionString { get; }
    /// <summary>Every log line the app wrote (at the configured levels).</summary>
    public LogCapture Logs { get; } = new();

    /// <summary>
    /// Setting read by the harness, not by Gatehouse: the peer address every request appears to come
    /// from. TestServer leaves Connection.RemoteIpAddress null (Gatehouse then records "unknown").
    /// </summary>
    public const string RemoteIpSetting = "Tests:RemoteIp";

    private GatehouseApp(DatabaseKind database, string connectionString, string? sqliteDirectory, IDictionary<string, string?>? settings,
        Action<IServiceCollection>? configureServices)
    {
        _configureServices = configureServices;
        Database = database;
        ConnectionString = connectionString;
        _sqliteDirectory = sqliteDirectory;
        _postgresConnectionString = database == DatabaseKind.Postgres ? connectionString : null;
        Mail = SmtpCatcher.Start();
        _settings = new Dictionary<string, string?>
        {
            ["Gatehouse:SecretKey"] = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i * 7 + 1)).ToArray()),
            ["Gatehouse:Database:Provider"] = database.ToString(),
            ["Gatehouse:Database:ConnectionString"] = connectionString,
            ["Gatehouse:Database:AutoMigrate"] = "false",
            ["Gatehouse:Email:Delivery"] = "Smtp",
            ["Gatehouse:Email:Smtp:Host"] = Mail.Host,
            ["Gatehouse:Email:Smtp:Port"] = Mail.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Gatehouse:Email:From"] = "Gatehouse <noreply@gatehouse.test>",
            ["Gatehouse:FrontendUrls:BaseUrl"] = "http://localhost",
            ["Gatehouse:Email:OutboxPollInterval"] = "00:00:00.200",
            ["Gatehouse:Passwords:Iterations"] = "1000",
            ["Gatehouse:RateLimits:Enabled"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Error",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    /// <param name="configureServices">Runs after the app's own registrations, so a test can replace a service
    /// (e.g. a hashing executor whose hash blocks until the test releases it).</param>
    public static async Task<GatehouseApp> StartAsync(DatabaseKind database, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configureServices = null)
    {
        GatehouseApp app;
        if (database == DatabaseKind.Postgres)
        {
            var connectionString = await PostgresServer.CreateDatabaseAsync("gatehouse_test");
            app = new GatehouseApp(database, connectionString + ";Maximum Pool Size=20", null, settings, configureServices);
        }
        else
        {
            var directory = Directory.CreateTempSubdirectory("gatehouse-test-").FullName;
            app = new GatehouseApp(database, $"Data Source={Path.Combine(directory, "gatehouse.db")};Pooling=false", directory, settings, configureServices);
        }
        await MigrateAsync(app);
        return app;
    }

    /// <summary>
    /// Starts another app on an existing database (e.g. a second node, or a restart). This app does
    /// not own the database: it neither drops nor deletes it when disposed.
    /// </summary>
    public static async Task<GatehouseApp> StartAsync(DatabaseKind database, string connectionString, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var app = new GatehouseApp(database, connectionString, null, settings, configureServices);
        app._ownsDatabase = false;
        await MigrateAsync(app);
        return app;
    }

    private bool _ownsDatabase = true;

    /// <summary>
    /// Migrates with the product's migrator before the host starts, as the server does at start-up, so
    /// the background workers never meet a database without tables.
    /// </summary>
    private static async Task MigrateAsync(GatehouseApp app)
    {
        var builder = new DbContextOptionsBuilder<GatehouseDbContext>();
        var connectionString = app._settings["Gatehouse:Database:ConnectionString"]!;
        if (app.Database == DatabaseKind.Postgres)
        {
            builder.UseNpgsql(connectionString);
        }
        else
        {
            builder.UseSqlite(connectionString);
        }
        await using var db = new GatehouseDbContext(builder.Options);
        var options = Options.Create(new DatabaseOptions
        {
            Provider = app.Database == DatabaseKind.Postgres ? DatabaseProvider.Postgres : DatabaseProvider.Sqlite,
            ConnectionString = connectionString,
        });
        await new SchemaMigrator(db, options, NullLogger<SchemaMigrator>.Instance, TimeProvider.System).MigrateAsync();
        _ = app.Services; // starts the host (and its outbox worker) now that the tables exist
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(_settings));
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<ILoggerProvider>(Logs);
            if (_settings.GetValueOrDefault(RemoteIpSetting) is { Length: > 0 } remoteIp)
            {
                services.AddTransient<IStartupFilter>(_ => new RemoteIpStartupFilter(IPAddress.Parse(remoteIp)));
            }
            _configureServices?.Invoke(services);
        });
    }

    /// <summary>A client of the given kind that keeps its session (token or cookies) between calls.</summary>
    public ApiClient Client(ClientKind kind, string userAgent = "gatehouse-tests")
    {
        var cookies = new CookieContainer();
        var http = CreateDefaultClient(new Uri("http://localhost"), new CookieContainerHandler(cookies));
        http.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        return new ApiClient(kind, http, cookies);
    }

    /// <summary>Runs a query against the app's database in a fresh scope.</summary>
    public async Task<T> DbAsync<T>(Func<GatehouseDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<GatehouseDbContext>());
    }

    /// <summary>Delivers whatever the outbox holds now, without waiting for the worker's next pass.</summary>
    public Task<int> DrainOutboxAsync() => Services.GetRequiredService<OutboxWorker>().DeliverDueAsync(CancellationToken.None);

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Mail.DisposeAsync();
        if (_postgresConnectionString is not null && _ownsDatabase)
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await PostgresServer.DropDatabaseAsync(_postgresConnectionString);
        }
        if (_sqliteDirectory is not null && _ownsDatabase)
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

    private sealed class RemoteIpStartupFilter(IPAddress address) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((HttpContext context, RequestDelegate nextMiddleware) =>
            {
                context.Connection.RemoteIpAddress ??= address;
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
