using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Gatehouse.Storage.Entities;
using Npgsql;

namespace Gatehouse.Storage;

/// <summary>
/// Tells a database error that concurrency caused from a fault, so a double submit or two requests racing on
/// one row are answered with the envelope (409, or 503 when SQLite's lock outlasted its busy timeout) instead
/// of a 500 with an Error-level stack trace. Drivers and EF Core wrap these differently (DbUpdateException
/// around SaveChanges, the bare driver exception from ExecuteUpdate), so the whole inner chain is read.
/// </summary>
public static class DatabaseConflict
{
    // PostgreSQL: serialization_failure and deadlock_detected; one of the transactions was rolled back whole.
    private const string SerializationFailure = "40001";
    private const string DeadlockDetected = "40P01";
    // SQLite primary result codes: the database file or a table is locked by another connection.
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;
    // SQLite's extended code for a foreign key a statement needed that is gone.
    private const int SqliteForeignKey = 787;

    /// <summary>
    /// An update that found its row changed or gone (EF Core's concurrency check), a unique index that a
    /// concurrent request filled first and the flow did not expect, a row the saved change refers to that a
    /// concurrent request deleted first (only for the link rows a race can orphan: a trusted browser ended while a
    /// login through it links it; any other foreign key is a bug and stays a 500 with its stack trace), or PostgreSQL
    /// rolling back one side of a serialization conflict or a deadlock.
    /// </summary>
    public static bool IsLostRace(Exception ex)
    {
        if (ex is DbUpdateConcurrencyException || (ex is DbUpdateException update && (UniqueViolation.Is(update) || IsOrphanedLink(update))))
        {
            return true;
        }
        return Find<PostgresException>(ex) is { SqlState: SerializationFailure or DeadlockDetected };
    }

    /// <summary>SQLite's write lock stayed taken beyond the busy timeout: the server is busy, the request may be retried.</summary>
    public static bool IsBusy(Exception ex) => Find<SqliteException>(ex) is { SqliteErrorCode: SqliteBusy or SqliteLocked };

    /// <summary>A foreign key gone at save time, in a save that inserts a row a concurrent delete can orphan (EF names the batch's entries).</summary>
    private static bool IsOrphanedLink(DbUpdateException ex) =>
        IsForeignKeyViolation(ex) && ex.Entries.Any(e => e.Entity is TrustedBrowserSession or RefreshToken);

    /// <summary>A foreign key a saved row needs is gone (SQLite's extended code, PostgreSQL's SQLSTATE 23503).</summary>
    public static bool IsForeignKeyViolation(DbUpdateException ex) => ex.InnerException switch
    {
        SqliteException sqlite => sqlite.SqliteExtendedErrorCode == SqliteForeignKey,
        PostgresException pg => pg.SqlState == PostgresErrorCodes.ForeignKeyViolation,
        _ => false,
    };

    private static T? Find<T>(Exception? ex) where T : Exception
    {
        for (var depth = 0; ex is not null && depth < 8; ex = ex.InnerException, depth++)
        {
            if (ex is T found)
            {
                return found;
            }
        }
        return null;
    }
}
