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
using Microsoft.Extensions.Time.Testing;

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
    /// <summary>Runs after the app's own registrations, so a test can add or replace a service (a database
    /// interceptor that holds a request at a chosen point, a hashing executor whose hash blocks).</summary>
    private Action<IServiceCollection>? _configureServices;

    public SmtpCatcher Mail { get; }
    /// <summary>
    /// The app's clock and timers (Microsoft's fake): time stands still until the test moves it, and
    /// moving it fires what falls due (the outbox's poll and back-off, the maintenance pass).
    /// </summary>
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

    /// <summary>Harness settings for the SMTP catcher: <see cref="CatcherTls"/>, and a username and password it requires.</summary>
    public const string SmtpTlsSetting = "Tests:Smtp:Tls";
    public const string SmtpUsernameSetting = "Tests:Smtp:Username";
    public const string SmtpPasswordSetting = "Tests:Smtp:Password";
    /// <summary>"false": the app is not told to trust the catcher's self-signed certificate.</summary>
    public const string SmtpTrustSetting = "Tests:Smtp:TrustCertificate";
    /// <summary>The host environment (default "Testing").</summary>
    public const string EnvironmentSetting = "Tests:Environment";

    private GatehouseApp(DatabaseKind database, string connectionString, string? sqliteDirectory, SmtpCatcher mail, IDictionary<string, string?>? settings)
    {
        Database = database;
        ConnectionString = connectionString;
        _sqliteDirectory = sqliteDirectory;
        _postgresConnectionString = database == DatabaseKind.Postgres ? connectionString : null;
        Mail = mail;
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
            // WebAuthn outside Development needs an https origin; fixed here, so a test that changes BaseUrl keeps a
            // relying party that fits (the software authenticator answers as https://localhost).
            ["Gatehouse:Mfa:WebAuthnRpId"] = "localhost",
            ["Gatehouse:Mfa:WebAuthnOrigins:0"] = "https://localhost",
            // Long, and the clock only moves when a test moves it: mail must go out because its commit woke
            // the worker or its back-off ended, never because a poll happened to come.
            ["Gatehouse:Email:OutboxPollInterval"] = "01:00:00",
            ["Gatehouse:Passwords:Iterations"] = "1000",
            ["Gatehouse:RateLimits:Enabled"] = "false",
            // The test client speaks plain http to a non-Development host, where cookies are Secure by default.
            ["Gatehouse:Sessions:CookieSecure"] = "false",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Error",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
    }

    public static async Task<GatehouseApp> StartAsync(
        DatabaseKind database, IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var app = await CreateUnmigratedAsync(database, settings);
        app._configureServices = services;
        await MigrateAsync(app);
        return app;
    }

    /// <summary>
    /// An app on a fresh database that nobody migrated, not started yet: the test prepares the database
    /// (<see cref="MigrateDatabaseAsync"/>, <see cref="ExecuteSqlAsync"/>), then starts the host by touching
    /// <c>Services</c> and sees what start-up makes of the schema.
    /// </summary>
    public static async Task<GatehouseApp> CreateUnmigratedAsync(DatabaseKind database, IDictionary<string, string?>? settings = null)
    {
        GatehouseApp app;
        var mail = await StartCatcherAsync(settings);
        if (database == DatabaseKind.Postgres)
        {
            var connectionString = await PostgresServer.CreateDatabaseAsync("gatehouse_test");
            app = new GatehouseApp(database, connectionString + ";Maximum Pool Size=20", null, mail, settings);
        }
        else
        {
            var directory = Directory.CreateTempSubdirectory("gatehouse-test-").FullName;
            app = new GatehouseApp(database, $"Data Source={Path.Combine(directory, "gatehouse.db")};Pooling=false", directory, mail, settings);
        }
        return app;
    }

    /// <summary>
    /// Starts another app on an existing database (e.g. a second node, or a restart). This app does
    /// not own the database: it neither drops nor deletes it when disposed.
    /// </summary>
    public static async Task<GatehouseApp> StartAsync(DatabaseKind database, string connectionString, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configureServices = null)
    {
        var app = new GatehouseApp(database, connectionString, null, await StartCatcherAsync(settings), settings);
        app._ownsDatabase = false;
        app._configureServices = configureServices;
        await MigrateAsync(app);
        return app;
    }

    private bool _ownsDatabase = true;

    private static Task<SmtpCatcher> StartCatcherAsync(IDictionary<string, string?>? settings)
    {
        string? Setting(string key) => settings is not null && settings.TryGetValue(key, out var value) ? value : null;
        var tls = Setting(SmtpTlsSetting) is { Length: > 0 } name ? Enum.Parse<CatcherTls>(name) : CatcherTls.None;
        return SmtpCatcher.StartAsync(tls, Setting(SmtpUsernameSetting), Setting(SmtpPasswordSetting));
    }

    /// <summary>
    /// Migrates with the product's migrator before the host starts, as the server does at start-up, so
    /// the background workers never meet a database without tables.
    /// </summary>
    private static async Task MigrateAsync(GatehouseApp app)
    {
        await app.MigrateDatabaseAsync();
        _ = app.Services; // starts the host (and its outbox worker) now that the tables exist
    }

    /// <summary>Runs the product's migrator on this app's database without starting the host.</summary>
    public async Task MigrateDatabaseAsync()
    {
        await using var db = OpenDatabase();
        var options = Options.Create(new DatabaseOptions
        {
            Provider = Database == DatabaseKind.Postgres ? DatabaseProvider.Postgres : DatabaseProvider.Sqlite,
            ConnectionString = ConnectionString,
        });
        await new SchemaMigrator(db, options, NullLogger<SchemaMigrator>.Instance, TimeProvider.System).MigrateAsync();
    }

    /// <summary>Runs SQL on this app's database without starting the host (e.g. to put the schema out of step).</summary>
    public async Task ExecuteSqlAsync(string sql)
    {
        await using var db = OpenDatabase();
        await db.Database.ExecuteSqlRawAsync(sql);
    }

    private GatehouseDbContext OpenDatabase()
    {
        var builder = new DbContextOptionsBuilder<GatehouseDbContext>();
        if (Database == DatabaseKind.Postgres)
        {
            builder.UseNpgsql(ConnectionString);
        }
        else
        {
            builder.UseSqlite(ConnectionString);
        }
        return new GatehouseDbContext(builder.Options);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(_settings.GetValueOrDefault(EnvironmentSetting) is { Length: > 0 } environment ? environment : "Testing");
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(_settings));
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<TimeProvider>(Clock);
            services.AddSingleton<ILoggerProvider>(Logs);
            if (_settings.GetValueOrDefault(SmtpTrustSetting) != "false")
            {
                // The catcher's certificate is self-signed: pinned for this app, as a host would pin its relay's.
                services.PostConfigure<EmailOptions>(email => email.Smtp.ServerCertificateValidation = Mail.ValidateCertificate);
            }
            if (_settings.GetValueOrDefault(RemoteIpSetting) is { Length: > 0 } remoteIp)
            {
                // First of all startup filters: the peer is what a socket would give, before any middleware reads it.
                services.Insert(0, ServiceDescriptor.Transient<IStartupFilter>(_ => new RemoteIpStartupFilter(IPAddress.Parse(remoteIp))));
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
