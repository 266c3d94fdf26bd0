using System.Data.Common;
using System.Globalization;
using Gatehouse.Configuration;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Storage;

/// <summary>
/// Applies the hand-written, versioned SQL scripts under Storage/Migrations/{Sqlite,Postgres} in order,
/// each in its own transaction, and records them in <c>schema_migrations</c>. The EF Core design tools
/// do not restore here, and plain SQL keeps every index and constraint visible in review.
/// </summary>
public sealed partial class SchemaMigrator(
    GatehouseDbContext db, IOptions<DatabaseOptions> options, ILogger<SchemaMigrator> logger, TimeProvider time)
{
    public sealed record Script(int Version, string Name, string Sql);

    public static IReadOnlyList<Script> ScriptsFor(DatabaseProvider provider)
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var marker = $".Storage.Migrations.{provider}.";
        var scripts = new List<Script>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            var at = resource.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0 || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }
            var name = resource[(at + marker.Length)..^4].TrimStart('_');
            var version = int.Parse(name.AsSpan(0, name.IndexOf('_')), CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            scripts.Add(new Script(version, name, reader.ReadToEnd()));
        }
        return scripts.OrderBy(s => s.Version).ToList();
    }

    /// <summary>What the database has applied, against the scripts this build carries.</summary>
    /// <param name="Pending">Scripts of this build the database has not applied, in order.</param>
    /// <param name="Unknown">Versions the database has applied that this build does not know (a newer Gatehouse migrated it).</param>
    public sealed record Status(IReadOnlyList<string> Pending, IReadOnlyList<string> Unknown)
    {
        public bool IsCurrent => Pending.Count == 0 && Unknown.Count == 0;
    }

    /// <summary>Reads <c>schema_migrations</c> without changing anything (a missing table means nothing is applied).</summary>
    public async Task<Status> GetStatusAsync(CancellationToken ct = default)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            return Compare(await ReadAppliedAsync(connection, ct));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// Applies what is missing; returns the names of the scripts applied. Refuses (and changes nothing)
    /// when the database was migrated by a newer Gatehouse: this build cannot know what those versions did.
    /// </summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken ct = default)
    {
        var provider = options.Value.Provider;
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        var locked = false;
        try
        {
            if (provider == DatabaseProvider.Sqlite)
            {
                // Write-ahead logging lets readers go on while one request writes; it sticks to the file.
                await ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL", ct);
            }
            if (provider == DatabaseProvider.Postgres)
            {
                // Two nodes starting at once must not both apply version N.
                await ExecuteAsync(connection, null, "SELECT pg_advisory_lock(7423019)", ct);
                locked = true;
            }
            await ExecuteAsync(connection, null,
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL, applied_at VARCHAR(40) NOT NULL)", ct);

            var applied = await ReadAppliedAsync(connection, ct);
            var status = Compare(applied);
            if (status.Unknown.Count > 0)
            {
                throw SchemaMismatchException.Ahead(status.Unknown);
            }

            var done = new List<string>();
            foreach (var script in ScriptsFor(provider).Where(s => !applied.ContainsKey(s.Version)))
            {
                await using var transaction = await connection.BeginTransactionAsync(ct);
                await ExecuteAsync(connection, transaction, script.Sql, ct);
                await using (var record = connection.CreateCommand())
                {
                    record.Transaction = transaction;
                    record.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @a)";
                    AddParameter(record, "@v", script.Version);
                    AddParameter(record, "@n", script.Name);
                    AddParameter(record, "@a", time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
                    await record.ExecuteNonQueryAsync(ct);
                }
                await transaction.CommitAsync(ct);
                Log.Applied(logger, script.Name, provider);
                done.Add(script.Name);
            }
            return done;
        }
        finally
        {
            if (locked)
            {
                // A session-level lock outlives a failed script on a pooled connection: release it on every path.
                await ExecuteAsync(connection, null, "SELECT pg_advisory_unlock(7423019)", CancellationToken.None);
            }
            await db.Database.CloseConnectionAsync();
        }
    }

    private Status Compare(IReadOnlyDictionary<int, string> applied)
    {
        var scripts = ScriptsFor(options.Value.Provider);
        var known = scripts.Select(s => s.Version).ToHashSet();
        return new Status(
            scripts.Where(s => !applied.ContainsKey(s.Version)).Select(s => s.Name).ToList(),
            applied.Where(a => !known.Contains(a.Key)).OrderBy(a => a.Key).Select(a => a.Value).ToList());
    }

    /// <summary>Version to name of every applied migration; empty when <c>schema_migrations</c> does not exist yet.</summary>
    private async Task<IReadOnlyDictionary<int, string>> ReadAppliedAsync(DbConnection connection, CancellationToken ct)
    {
        var applied = new Dictionary<int, string>();
        await using (var exists = connection.CreateCommand())
        {
            exists.CommandText = options.Value.Provider == DatabaseProvider.Postgres
                ? "SELECT to_regclass('schema_migrations') IS NOT NULL"
                : "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations')";
            if (!Convert.ToBoolean(await exists.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture))
            {
                return applied;
            }
        }
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, name FROM schema_migrations";
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            applied[reader.GetInt32(0)] = reader.GetString(1);
        }
        return applied;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Applied schema migration {Name} ({Provider})")]
        public static partial void Applied(ILogger logger, string name, DatabaseProvider provider);
    }
}
