using Gatehouse.Configuration;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Gatehouse.Tests.Api;

/// <summary>
/// Database errors that concurrency causes are answered with the envelope, never a 500: a lost race is 409, a
/// SQLite write lock held beyond the busy timeout is 503 with Retry-After.
/// </summary>
public sealed class DatabaseConflictTests() : ApiTestBase(DatabaseKind.Sqlite)
{
    [Fact]
    public async Task ASignup_WhileAnotherWriterHoldsSqlitesLock_Answers503WithTheEnvelope_AndWorksOnceItIsReleased()
    {
        var app = await StartAsync(services: s => s.PostConfigure<DatabaseOptions>(o => o.ConnectionString += ";Default Timeout=1"));
        var client = app.Client(ClientKind.App);
        await using (var writer = new SqliteConnection(app.ConnectionString))
        {
            await writer.OpenAsync();
            await using var begin = writer.CreateCommand();
            begin.CommandText = "BEGIN IMMEDIATE";
            await begin.ExecuteNonQueryAsync();

            var busy = await client.PostAsync("auth/signup", new { email = "busy@example.com", password = Password });

            Assert.Equal(503, busy.StatusCode);
            Assert.Equal(["server_busy"], busy.ErrorCodes);
            Assert.Equal(TimeSpan.FromSeconds(1), busy.Headers.RetryAfter?.Delta);
            Assert.DoesNotContain(app.Logs.Lines, line => line.StartsWith("Error", StringComparison.Ordinal) || line.StartsWith("Critical", StringComparison.Ordinal));
            Assert.Contains(app.Logs.Lines, line => line.StartsWith("Warning", StringComparison.Ordinal) && line.Contains("busy timeout", StringComparison.Ordinal));
            begin.CommandText = "ROLLBACK";
            await begin.ExecuteNonQueryAsync();
        }

        var retried = await client.PostAsync("auth/signup", new { email = "busy@example.com", password = Password });
        Assert.Equal(401, retried.StatusCode); // pending email verification: the retry went through
        Assert.Equal(1, await app.DbAsync(db => db.Users.CountAsync()));
    }

    [Theory]
    [InlineData("40001", true)]  // serialization_failure
    [InlineData("40P01", true)]  // deadlock_detected
    [InlineData("57014", false)] // query_canceled
    public void PostgreSqlsRolledBackSideOfAConflict_IsALostRace_WhetherBareOrWrapped(string sqlState, bool lostRace)
    {
        var postgres = new PostgresException("conflict", "ERROR", "ERROR", sqlState);

        Assert.Equal(lostRace, DatabaseConflict.IsLostRace(postgres));
        Assert.Equal(lostRace, DatabaseConflict.IsLostRace(new DbUpdateException("save failed", postgres)));
        Assert.Equal(lostRace, DatabaseConflict.IsLostRace(new InvalidOperationException("transient", new DbUpdateException("save failed", postgres))));
        Assert.False(DatabaseConflict.IsBusy(postgres));
    }

    [Theory]
    [InlineData(787, false)] // SQLITE_CONSTRAINT_FOREIGNKEY outside a link row's save: a bug (the trust race is MfaLoginTransactionTests')
    [InlineData(2067, true)] // SQLITE_CONSTRAINT_UNIQUE
    [InlineData(275, false)] // SQLITE_CONSTRAINT_CHECK: a fault, not a race
    public void SqlitesForeignKeyAndUniqueViolationsOnSave_AreLostRaces(int extendedCode, bool lostRace)
    {
        var sqlite = new SqliteException("constraint failed", 19, extendedCode);

        Assert.Equal(lostRace, DatabaseConflict.IsLostRace(new DbUpdateException("save failed", sqlite)));
    }

    [Fact]
    public void AForeignKeyViolation_OnASaveWithoutALinkRow_IsAFault_NotALostRace()
    {
        // Only a save that inserts a row a concurrent delete can orphan (a trust link, a refresh token) lost a race;
        // any other missing foreign key is a bug, and a 409 "try again" would hide it behind retries.
        var postgres = new PostgresException("foreign key violated", "ERROR", "ERROR", "23503");
        var sqlite = new SqliteException("constraint failed", 19, 787);

        Assert.False(DatabaseConflict.IsLostRace(new DbUpdateException("save failed", postgres)));
        Assert.False(DatabaseConflict.IsLostRace(new DbUpdateException("save failed", sqlite)));
        Assert.True(DatabaseConflict.IsForeignKeyViolation(new DbUpdateException("save failed", postgres)));
        Assert.True(DatabaseConflict.IsForeignKeyViolation(new DbUpdateException("save failed", sqlite)));
    }

    [Theory]
    [InlineData(5, true)]   // SQLITE_BUSY
    [InlineData(6, true)]   // SQLITE_LOCKED
    [InlineData(1, false)]  // SQLITE_ERROR
    [InlineData(19, false)] // SQLITE_CONSTRAINT
    public void SqlitesLockTimeout_IsBusy_NotALostRace(int errorCode, bool busy)
    {
        var sqlite = new SqliteException("locked", errorCode);

        Assert.Equal(busy, DatabaseConflict.IsBusy(sqlite));
        Assert.Equal(busy, DatabaseConflict.IsBusy(new DbUpdateException("save failed", sqlite)));
        Assert.False(DatabaseConflict.IsLostRace(sqlite));
    }
}
