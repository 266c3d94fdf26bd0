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
}
