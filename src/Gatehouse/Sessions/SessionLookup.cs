using System.Data.Common;
using Gatehouse.Configuration;
using Gatehouse.Security;
using Gatehouse.Security.Passwords;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gatehouse.Sessions;

/// <summary>
/// The per-request session check: one indexed query by the token's hash with the user and primary
/// address joined, in plain ADO.NET. Measured in-process, building a DbContext and running the
/// equivalent compiled EF query cost about 35 times as much as this; every API request pays it.
/// </summary>
public sealed class SessionLookup : IAsyncDisposable
{
    // Booleans are tested bare ("AND u.is_active"): SQLite's 0/1 integers and PostgreSQL's booleans both work.
    private const string Sql = """
        SELECT s.id, s.created_at, s.state, u.id, u.username, u.password_hash,
               (SELECT e.email FROM email_addresses e WHERE e.user_id = u.id AND e.is_primary LIMIT 1)
        FROM sessions s LEFT JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = @hash AND s.expires_at > @now AND s.client = @client AND (s.user_id IS NULL OR u.is_active)
        """;

    private readonly NpgsqlDataSource? _postgres;
    private readonly string _connectionString;
    private readonly TimeProvider _time;

    public SessionLookup(IOptions<DatabaseOptions> options, TimeProvider time)
    {
        _time = time;
        _connectionString = options.Value.ConnectionString;
        if (options.Value.Provider == DatabaseProvider.Postgres)
        {
            _postgres = NpgsqlDataSource.Create(_connectionString);
        }
    }

    public async Task<LoadedSession?> FindAsync(string token, ClientKind client, CancellationToken ct)
    {
        await using var connection = await OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = Sql;
        Add(command, "@hash", Secrets.Sha256(token));
        Add(command, "@now", _time.GetUtcNow().UtcDateTime);
        Add(command, "@client", client.Wire());
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }
        return new LoadedSession
        {
            Id = reader.GetInt64(0),
            CreatedAt = DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc),
            StateJson = reader.IsDBNull(2) ? null : reader.GetString(2),
            User = reader.IsDBNull(3)
                ? null
                : new SessionUser(
                    reader.GetInt64(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(6) ? null : reader.GetString(6),
                    DjangoPasswordHasher.IsUsable(reader.IsDBNull(5) ? null : reader.GetString(5))),
        };
    }

    private async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(ct);
        }
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    public ValueTask DisposeAsync() => _postgres?.DisposeAsync() ?? ValueTask.CompletedTask;
}
