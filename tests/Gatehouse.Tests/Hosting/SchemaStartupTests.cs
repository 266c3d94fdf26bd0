using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;

namespace Gatehouse.Tests.Hosting;

/// <summary>
/// A server whose schema does not match its code would answer 500 to every request. Start-up refuses
/// instead, with a sentence that says what to do, for Gatehouse.Server and for any host of the library;
/// Gatehouse:Database:AutoMigrate and MigrateGatehouseAsync() are the two ways to migrate.
/// </summary>
public abstract class SchemaStartupTests(DatabaseKind database) : IAsyncLifetime
{
    private const string MigrateCommand = "dotnet run --project src/Gatehouse.Server -- migrate";
    private const string FutureMigration = "9999_from_a_newer_gatehouse";
    private readonly List<IAsyncDisposable> _owned = [];

    [Fact]
    public async Task Server_OnAnUnmigratedDatabase_RefusesToStart_SayingToRunMigrate()
    {
        var app = await UnmigratedAppAsync();

        var error = RefusalLogged(app);

        Assert.Contains(MigrateCommand, error, StringComparison.Ordinal);
        Assert.Contains("Gatehouse:Database:AutoMigrate", error, StringComparison.Ordinal);
        Assert.Contains("0001_initial", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_OnASchemaAheadOfTheCode_RefusesToStart_NamingTheUnknownMigration()
    {
        var app = await UnmigratedAppAsync();
        await app.MigrateDatabaseAsync();
        await app.ExecuteSqlAsync($"INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '{FutureMigration}', '2030-01-01T00:00:00Z')");

        var error = RefusalLogged(app);

        Assert.Contains("newer version of Gatehouse", error, StringComparison.Ordinal);
        Assert.Contains(FutureMigration, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_OnASchemaAheadOfTheCode_Refuses()
    {
        // An old binary cannot know what version 9999 did: migrating "forward" from it would be a guess.
        var app = await UnmigratedAppAsync();
        await app.MigrateDatabaseAsync();
        await app.ExecuteSqlAsync($"INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '{FutureMigration}', '2030-01-01T00:00:00Z')");

        var error = await Assert.ThrowsAsync<SchemaMismatchException>(app.MigrateDatabaseAsync);

        Assert.Contains(FutureMigration, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_WithAutoMigrate_MigratesAnEmptyDatabaseAtStart_AndServes()
    {
        var app = await UnmigratedAppAsync(new() { ["Gatehouse:Database:AutoMigrate"] = "true" });
        var client = app.Client(ClientKind.App);

        var signup = await client.PostAsync("auth/signup", new { email = "alice@example.com", password = "Tr0ub4dor&3-horse" });

        Assert.Equal(401, signup.StatusCode);
        Assert.Equal("verify_email", signup.PendingFlow);
    }

    [Fact]
    public async Task Library_OnAnUnmigratedDatabase_RefusesToStart_SayingToRunMigrate()
    {
        var database = await UnmigratedAppAsync();
        var host = Own(LibraryHost.Build(LibraryHost.BaseSettings(Database, database.ConnectionString)));

        var error = await Assert.ThrowsAsync<SchemaMismatchException>(() => host.App.StartAsync());

        Assert.Contains(MigrateCommand, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Library_AfterMigrateGatehouseAsync_Starts_AndASecondMigrationHasNothingToDo()
    {
        var database = await UnmigratedAppAsync();
        var host = Own(LibraryHost.Build(LibraryHost.BaseSettings(Database, database.ConnectionString)));

        var first = await host.App.MigrateGatehouseAsync();
        var second = await host.App.MigrateGatehouseAsync();
        await host.App.StartAsync();
        using var config = await host.Client().GetAsync("/_allauth/app/v1/config");

        var provider = Database == DatabaseKind.Postgres ? Gatehouse.Configuration.DatabaseProvider.Postgres : Gatehouse.Configuration.DatabaseProvider.Sqlite;
        Assert.Equal(Gatehouse.Storage.SchemaMigrator.ScriptsFor(provider).Select(s => s.Name), first);
        Assert.True(first.Count >= 3);
        Assert.Empty(second);
        Assert.Equal(200, (int)config.StatusCode);
    }

    [Fact]
    public async Task Library_WithAutoMigrate_MigratesAtStart()
    {
        var database = await UnmigratedAppAsync();
        var settings = LibraryHost.BaseSettings(Database, database.ConnectionString);
        settings["Gatehouse:Database:AutoMigrate"] = "true";
        var host = Own(LibraryHost.Build(settings));

        await host.App.StartAsync();
        using var login = await host.Client().PostAsync("/_allauth/app/v1/auth/login",
            new StringContent("""{"email":"nobody@example.com","password":"x"}""", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(400, (int)login.StatusCode); // a query on users ran: the tables exist
        Assert.Empty(await host.App.MigrateGatehouseAsync());
    }

    protected DatabaseKind Database { get; } = database;

    private async Task<GatehouseApp> UnmigratedAppAsync(Dictionary<string, string?>? settings = null) =>
        Own(await GatehouseApp.CreateUnmigratedAsync(Database, settings));

    private T Own<T>(T disposable) where T : IAsyncDisposable
    {
        // Hosts first, then the apps that own the databases.
        _owned.Insert(0, disposable);
        return disposable;
    }

    /// <summary>
    /// Starts the server and expects it not to serve. Program prints the sentence and exits 1, which the
    /// test host sees only as a host that ended; the host's log line carries the exception and its sentence.
    /// </summary>
    private static string RefusalLogged(GatehouseApp app)
    {
        Assert.ThrowsAny<Exception>(() => app.Services);
        var line = app.Logs.Lines.SingleOrDefault(l => l.Contains(nameof(SchemaMismatchException), StringComparison.Ordinal));
        Assert.True(line is not null, "No log line carries the SchemaMismatchException:\n" + string.Join("\n", app.Logs.Lines));
        return line;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var owned in _owned)
        {
            try
            {
                await owned.DisposeAsync();
            }
            catch (Exception ex) when (ex is SchemaMismatchException or AggregateException or InvalidOperationException)
            {
                // a host that refused to start may rethrow on dispose; the refusal was the point
            }
        }
    }
}

public sealed class SqliteSchemaStartupTests() : SchemaStartupTests(DatabaseKind.Sqlite);
public sealed class PostgresSchemaStartupTests() : SchemaStartupTests(DatabaseKind.Postgres);
