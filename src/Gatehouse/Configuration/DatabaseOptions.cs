namespace Gatehouse.Configuration;

public enum DatabaseProvider { Sqlite, Postgres }

/// <summary><c>Gatehouse:Database</c>: where data lives.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Gatehouse:Database";
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;
    /// <summary>For SQLite a file next to the server by default.</summary>
    public string ConnectionString { get; set; } = "Data Source=gatehouse.db";
    /// <summary>Apply pending schema migrations at start (on in Development; production runs <c>migrate</c>).</summary>
    public bool AutoMigrate { get; set; }
    /// <summary>
    /// SQLite only: how many bytes of the database file each of the session lookup's connections maps
    /// (<c>PRAGMA mmap_size</c>; 256 MiB by default). 0 turns the mapping off: for a file on a network filesystem,
    /// where an I/O error on a mapped page ends the process instead of failing one request.
    /// </summary>
    public long SqliteMmapSize { get; set; } = 256L * 1024 * 1024;
}
