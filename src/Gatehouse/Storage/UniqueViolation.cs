using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Gatehouse.Storage;

/// <summary>Recognises a unique-constraint violation from either database, so a lost race is answered, not a 500.</summary>
public static class UniqueViolation
{
    public static bool Is(DbUpdateException ex) => ex.InnerException switch
    {
        SqliteException sqlite => sqlite.SqliteErrorCode == 19 && sqlite.SqliteExtendedErrorCode is 2067 or 1555,
        PostgresException pg => pg.SqlState == PostgresErrorCodes.UniqueViolation,
        _ => false,
    };

    /// <summary>Whether the violated constraint involves <paramref name="column"/> (index names carry the column name).</summary>
    public static bool On(DbUpdateException ex, string column) => ex.InnerException switch
    {
        SqliteException sqlite => sqlite.Message.Contains(column, StringComparison.Ordinal),
        PostgresException pg => pg.ConstraintName?.Contains(column, StringComparison.Ordinal) == true,
        _ => false,
    };
}
