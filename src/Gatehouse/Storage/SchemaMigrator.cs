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

    /// <summary>Applies what is missing; returns the names of the scripts applied.</summary>
    public async Task<IReadOnlyList<string>> MigrateAsync(CancellationToken ct = default)
    {
        var provider = options.Value.Provider;
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
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
            }
            await ExecuteAsync(connection, null,
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR(200) NOT NULL, applied_at VARCHAR(40) NOT NULL)", ct);

            var applied = new HashSet<int>();
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = "SELECT version FROM schema_migrations";
                await using var reader = await command.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    applied.Add(reader.GetInt32(0));
                }
            }

            var done = new List<string>();
            foreach (var script in ScriptsFor(provider).Where(s => !applied.Contains(s.Version)))
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

            if (provider == DatabaseProvider.Postgres)
            {
                await ExecuteAsync(connection, null, "SELECT pg_advisory_unlock(7423019)", ct);
            }
            return done;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
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
