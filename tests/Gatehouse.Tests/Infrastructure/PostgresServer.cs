using System.Text;
using Npgsql;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server the tests run against: ./test.sh starts a private one and passes its
/// superuser connection string in GATEHOUSE_TEST_POSTGRES. Each test (or fixture) creates its own
/// database, so tests never share data and can run in parallel. A plain `dotnet test` without it skips
/// the PostgreSQL classes (named Postgres*) with a reason; under CI=true they fail instead.
/// </summary>
public static class PostgresServer
{
    public const string EnvironmentVariable = "GATEHOUSE_TEST_POSTGRES";

    // PostgreSQL truncates identifiers past 63 bytes; a 32-character suffix keeps names unique.
    private const int MaxPrefixLength = 63 - 1 - 32;

    private const string HowToRun =
        "PostgreSQL tests need a server: run ./test.sh, which starts a private one, or set " + EnvironmentVariable +
        " to a superuser connection string (e.g. Host=127.0.0.1;Username=postgres;Database=postgres).";

    private static bool IsConfigured => !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>
    /// Under CI (<c>CI=true</c>) a missing server must fail the run, not skip half of it into a green one.
    /// </summary>
    private static bool IsCi =>
        Environment.GetEnvironmentVariable("CI") is { } ci && (ci.Equals("true", StringComparison.OrdinalIgnoreCase) || ci == "1");

    /// <summary>
    /// Why the PostgreSQL tests are skipped, or null when they run: with a server configured, and always
    /// under CI (where they then fail with <see cref="HowToRun"/>). Read by <see cref="PostgresTestFramework"/>.
    /// </summary>
    public static string? SkipReason => IsConfigured || IsCi ? null : HowToRun + " Skipped because it is not set.";

    public static string BaseConnectionString
    {
        get
        {
            var value = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (string.IsNullOrWhiteSpace(value))
            {
                throw new InvalidOperationException(HowToRun + (IsCi ? " CI=true: these tests fail instead of skipping." : ""));
            }
            return value;
        }
    }

    /// <summary>Creates an empty database with a unique name and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{Sanitize(prefix)}_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(BaseConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE {QuoteIdentifier(name)}", connection);
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(BaseConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>Drops the database a connection string names, closing any connection still open to it.</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var name = builder.Database
            ?? throw new ArgumentException("The connection string names no database.", nameof(connectionString));
        var maintenance = new NpgsqlConnectionStringBuilder(BaseConnectionString).Database;
        if (string.Equals(name, maintenance, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Refusing to drop the server's maintenance database '{name}'.", nameof(connectionString));
        }

        // Pooled connections of the test's own would otherwise hold the database open.
        using (var pooled = new NpgsqlConnection(connectionString))
        {
            NpgsqlConnection.ClearPool(pooled);
        }

        await using var connection = new NpgsqlConnection(BaseConnectionString);
        await connection.OpenAsync();
        // WITH (FORCE) (PostgreSQL 13+) ends sessions a test left open instead of failing.
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {QuoteIdentifier(name)} WITH (FORCE)", connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string Sanitize(string prefix)
    {
        var builder = new StringBuilder(prefix.Length);
        foreach (var c in prefix.ToLowerInvariant())
        {
            builder.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') ? c : '_');
        }
        var result = builder.ToString().Trim('_');
        if (result.Length == 0 || char.IsDigit(result[0]))
        {
            result = "t_" + result;
        }
        return result.Length > MaxPrefixLength ? result[..MaxPrefixLength] : result;
    }

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
