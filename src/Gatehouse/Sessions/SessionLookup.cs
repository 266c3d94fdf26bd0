using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
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
/// An access token (JWT strategy) names its session by id instead: the same columns and liveness rule
/// through a second prepared statement (<see cref="FindByIdAsync"/>), sharing the connections.
/// </summary>
public sealed class SessionLookup : IAsyncDisposable
{
    // Booleans are tested bare ("AND u.is_active"): SQLite's 0/1 integers and PostgreSQL's booleans both work.
    // The primary address is a join (one row at most: ux_email_addresses_one_primary) instead of the scalar
    // subquery it was, so its verified flag costs no second probe. is_staff and has_mfa are for the claims a host
    // app's policies read (C8); has_mfa is one EXISTS on ix_authenticators_user_id, counting only the types
    // this server supports (a credential of a switched-off type cannot be used to log in either).
    private const string SelectTemplate = """
        SELECT s.id, s.created_at, s.state, u.id, u.username, u.password_hash, e.email, e.verified, u.is_staff,
               EXISTS (SELECT 1 FROM authenticators a WHERE a.user_id = u.id AND a.type IN ({mfa_types})),
               s.last_seen_at
        FROM sessions s LEFT JOIN users u ON u.id = s.user_id
             LEFT JOIN email_addresses e ON e.user_id = u.id AND e.is_primary

        """;

    // A logged-in session is alive only while its user's security stamp is the one its login saw: a password
    // change or reset replaces the stamp in its own transaction, which ends every session at once, including
    // those of logins with the old password that were still in flight and committed afterwards.
    private const string ByTokenWhere = """
        WHERE s.token_hash = @hash AND s.expires_at > @now AND s.client = @client
          AND (s.user_id IS NULL OR (u.is_active AND s.auth_stamp = u.security_stamp))
        """;

    // An access token's sid and sub: the app session it was issued for, under the same rule (and never an anonymous one).
    private const string ByIdWhere = """
        WHERE s.id = @id AND s.user_id = @user AND s.expires_at > @now AND s.client = 'app'
          AND u.is_active AND s.auth_stamp = u.security_stamp
        """;

    private readonly Statement _byToken;
    private readonly Statement _byId;

    private readonly NpgsqlDataSource? _postgres;
    private readonly string _connectionString;
    private readonly long _sqliteMmapSize;
    private readonly TimeProvider _time;

    public SessionLookup(IOptions<DatabaseOptions> options, IOptions<MfaOptions> mfa, TimeProvider time)
    {
        _time = time;
        // Literals from the fixed set of type names, never from input; 'none' keeps the list valid SQL when
        // no type is supported (no authenticator has that type).
        var select = SelectTemplate.Replace("{mfa_types}", MfaTypeList(mfa.Value), StringComparison.Ordinal);
        _byToken = new Statement(select + ByTokenWhere, [("@hash", Array.Empty<byte>()), ("@now", DateTime.UnixEpoch), ("@client", "")]);
        _byId = new Statement(select + ByIdWhere, [("@id", 0L), ("@user", 0L), ("@now", DateTime.UnixEpoch)]);
        _connectionString = options.Value.ConnectionString;
        // Address space, not memory: pages load as they are touched (Gatehouse:Database:SqliteMmapSize; 0 maps nothing).
        _sqliteMmapSize = options.Value.SqliteMmapSize;
        if (options.Value.Provider == DatabaseProvider.Postgres)
        {
            // Prepared statements roughly double PostgreSQL's rate for this query (PRODUCT.md measured
            // 5.6k -> 10k req/s); used unless the connection string chose otherwise.
            var builder = new NpgsqlConnectionStringBuilder(_connectionString);
            if (!_connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
            {
                builder.MaxAutoPrepare = 20;
                builder.AutoPrepareMinUsages = 2;
            }
            // This pool serves one short query. Npgsql's default (100) lets a burst open a backend per
            // concurrent request, which then fight over the same cores; a few per core keep them busy
            // without that (PRODUCT.md: 8 on 2 cores took PostgreSQL from 10k to 13.4k req/s).
            if (!_connectionString.Contains("Pool Size", StringComparison.OrdinalIgnoreCase))
            {
                builder.MaxPoolSize = Math.Max(8, 4 * Environment.ProcessorCount);
            }
            _postgres = NpgsqlDataSource.Create(builder.ConnectionString);
        }
    }

    /// <summary>The supported authenticator types as SQL literals, for the has_mfa EXISTS (also the token session lookup's).</summary>
    internal static string MfaTypeList(MfaOptions mfa) =>
        string.Join(", ", MfaTypes.InWireOrder.Where(mfa.Supports).Select(t => $"'{t}'").DefaultIfEmpty("'none'"));

    /// <summary>The live session of this client that <paramref name="token"/> (cookie or session token) names.</summary>
    public Task<LoadedSession?> FindAsync(string token, ClientKind client, CancellationToken ct) =>
        RunAsync(_byToken, (Secrets.Sha256(token), client.Wire()), static (p, a) =>
        {
            p[0].Value = a.Item1;
            p[2].Value = a.Item2;
        }, ct);

    /// <summary>The live app session <paramref name="sessionId"/> of <paramref name="userId"/> (an access token's sid and sub).</summary>
    public Task<LoadedSession?> FindByIdAsync(long sessionId, long userId, CancellationToken ct) =>
        RunAsync(_byId, (sessionId, userId), static (p, a) =>
        {
            p[0].Value = a.Item1;
            p[1].Value = a.Item2;
        }, ct);

    private async Task<LoadedSession?> RunAsync<TArgs>(Statement statement, TArgs args, Action<DbParameterCollection, TArgs> bind, CancellationToken ct)
    {
        var lease = await RentAsync(statement, ct);
        try
        {
            var command = lease.Command;
            bind(command.Parameters, args);
            command.Parameters[statement.NowIndex].Value = _time.GetUtcNow().UtcDateTime;
            var found = await ReadAsync(command, ct);
            Return(statement, lease);
            lease = null;
            return found;
        }
        finally
        {
            if (lease is not null)
            {
                await lease.DisposeAsync(); // failed mid-way: never reuse a connection in an unknown state
            }
        }
    }

    private static async Task<LoadedSession?> ReadAsync(DbCommand command, CancellationToken ct)
    {
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }
        return new LoadedSession
        {
            Id = reader.GetInt64(0),
            CreatedAt = DateTime.SpecifyKind(reader.GetDateTime(1), DateTimeKind.Utc),
            LastSeenAt = DateTime.SpecifyKind(reader.GetDateTime(10), DateTimeKind.Utc),
            StateJson = reader.IsDBNull(2) ? null : reader.GetString(2),
            User = reader.IsDBNull(3)
                ? null
                : new SessionUser(
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

    /// <summary>
    /// An open connection with the lookup already prepared. On SQLite, preparing the statement was about
    /// half of the lookup's cost in a profile, so a few leases are kept and reused; PostgreSQL's pooled
    /// connections keep their own prepared statements, so a lease there lives for one call.
    /// </summary>
    private sealed class Lease(DbConnection connection, DbCommand command) : IAsyncDisposable
    {
        public DbCommand Command { get; } = command;

        public async ValueTask DisposeAsync()
        {
            await Command.DisposeAsync();
            await connection.DisposeAsync();
        }
    }

    private const int MaxIdleLeases = 16;

    /// <summary>One query with its parameters (placeholders until bound) and its idle leases.</summary>
    private sealed class Statement(string sql, (string Name, object Value)[] parameters)
    {
        public string Sql => sql;
        public (string Name, object Value)[] Parameters => parameters;
        /// <summary>Where "now" goes: bound on every call, so an expired session is never found.</summary>
        public int NowIndex { get; } = Array.FindIndex(parameters, p => p.Name == "@now");
        public ConcurrentQueue<Lease> Idle { get; } = new();
    }

    private async Task<Lease> RentAsync(Statement statement, CancellationToken ct)
    {
        if (_postgres is null && statement.Idle.TryDequeue(out var idle))
        {
            return idle;
        }
        DbConnection connection = _postgres is not null
            ? await _postgres.OpenConnectionAsync(ct)
            : new SqliteConnection(_connectionString);
        try
        {
            if (connection.State != System.Data.ConnectionState.Open)
            {
                await connection.OpenAsync(ct);
            }
            if (_postgres is null && _sqliteMmapSize > 0)
            {
                // Each lookup touches a few pages of a file far larger than a connection's page cache (2 MiB), so
                // without a mapping every miss was a pread() and a copy: about a tenth of the session check's CPU in
                // a profile, and the caches of the idle leases kept evicting each other. Mapped, the leases share
                // the OS's pages. Reads only: SQLite still writes through write(). The setting stays with the
                // connection when the pool takes it back, which changes nothing for a writer.
                await using var pragma = connection.CreateCommand();
                pragma.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA mmap_size = {_sqliteMmapSize}");
                await pragma.ExecuteNonQueryAsync(ct);
            }
            var command = connection.CreateCommand();
            command.CommandText = statement.Sql;
            foreach (var (name, value) in statement.Parameters)
            {
                Add(command, name, value);
            }
            if (_postgres is null)
            {
                await command.PrepareAsync(ct);
            }
            return new Lease(connection, command);
        }
        catch
        {
            await connection.DisposeAsync(); // an aborted request or a failed prepare must not leave it open
            throw;
        }
    }

    private void Return(Statement statement, Lease lease)
    {
        if (_postgres is null && statement.Idle.Count < MaxIdleLeases)
        {
            statement.Idle.Enqueue(lease);
            return;
        }
        _ = lease.DisposeAsync().AsTask();
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
        foreach (var statement in new[] { _byToken, _byId })
        {
            while (statement.Idle.TryDequeue(out var lease))
            {
                await lease.DisposeAsync();
            }
        }
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}
