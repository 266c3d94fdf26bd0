using System.Data.Common;
using Gatehouse.Configuration;
using Gatehouse.Security.Passwords;
using Gatehouse.Sessions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Gatehouse.Tokens;

/// <summary>
/// The session an access token names (its <c>sid</c> and <c>sub</c>), alive under the same rules as
/// <see cref="SessionLookup"/>'s check of a session token: not expired, an app session, the user active and
/// the security stamp unchanged. One indexed query by primary key in plain ADO.NET, as the session check.
/// Kept apart from SessionLookup (which looks up by the token's hash) so each stays one prepared statement.
/// </summary>
public sealed class TokenSessionLookup : IAsyncDisposable
{
    // The user's facts for the host scheme's claims (C8) as SessionLookup reads them: primary address joined,
    // is_staff, has_mfa over the supported types.
    private const string SqlTemplate = """
        SELECT s.id, s.created_at, s.state, u.id, u.username, u.password_hash, e.email, e.verified, u.is_staff,
               EXISTS (SELECT 1 FROM authenticators a WHERE a.user_id = u.id AND a.type IN ({mfa_types}))
        FROM sessions s JOIN users u ON u.id = s.user_id
             LEFT JOIN email_addresses e ON e.user_id = u.id AND e.is_primary
        WHERE s.id = @id AND s.user_id = @user AND s.expires_at > @now AND s.client = 'app'
          AND u.is_active AND s.auth_stamp = u.security_stamp
        """;

    private readonly NpgsqlDataSource? _postgres;
    private readonly string _connectionString;
    private readonly TimeProvider _time;

    private readonly string _sql;

    public TokenSessionLookup(IOptions<DatabaseOptions> options, IOptions<MfaOptions> mfa, TimeProvider time)
    {
        _time = time;
        _sql = SqlTemplate.Replace("{mfa_types}", SessionLookup.MfaTypeList(mfa.Value), StringComparison.Ordinal);
        _connectionString = options.Value.ConnectionString;
        if (options.Value.Provider == DatabaseProvider.Postgres)
        {
            // As SessionLookup: prepared statements and a small pool for one short query (PRODUCT.md's measurements).
            var builder = new NpgsqlConnectionStringBuilder(_connectionString);
            if (!_connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
            {
                builder.MaxAutoPrepare = 10;
                builder.AutoPrepareMinUsages = 2;
            }
            if (!_connectionString.Contains("Pool Size", StringComparison.OrdinalIgnoreCase))
            {
                builder.MaxPoolSize = Math.Max(8, 4 * Environment.ProcessorCount);
            }
            _postgres = NpgsqlDataSource.Create(builder.ConnectionString);
        }
    }

    public async Task<LoadedSession?> FindAsync(long sessionId, long userId, CancellationToken ct)
    {
        DbConnection connection = _postgres is not null ? await _postgres.OpenConnectionAsync(ct) : new SqliteConnection(_connectionString);
        await using (connection)
        {
            if (connection.State != System.Data.ConnectionState.Open)
            {
                await connection.OpenAsync(ct);
            }
            await using var command = connection.CreateCommand();
            command.CommandText = _sql;
            Add(command, "@id", sessionId);
            Add(command, "@user", userId);
            Add(command, "@now", _time.GetUtcNow().UtcDateTime);
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
                User = new SessionUser(
                    reader.GetInt64(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(6) ? null : reader.GetString(6),
                    DjangoPasswordHasher.IsUsable(reader.IsDBNull(5) ? null : reader.GetString(5)))
                {
                    EmailVerified = !reader.IsDBNull(7) && reader.GetBoolean(7),
                    IsStaff = reader.GetBoolean(8),
                    HasMfa = reader.GetBoolean(9),
                },
            };
        }
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}
