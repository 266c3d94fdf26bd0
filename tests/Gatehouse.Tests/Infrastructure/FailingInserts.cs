namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// A real database fault at an exact point: a trigger runs a statement before every insert into a table (matching a
/// condition). <see cref="StartAsync"/> makes the insert fail with a unique-index violation (the statement inserts a
/// schema_migrations version that exists), as a concurrent writer that filled the index first would; the API answers
/// it as a lost race (409).
/// </summary>
public static class FailingInserts
{
    private const string Name = "test_fail_insert";

    public static Task StartAsync(GatehouseApp app, string table, string when = "1 = 1") => BeforeInsertAsync(app, table, when,
        "INSERT INTO schema_migrations (version, name, applied_at) SELECT version, name, applied_at FROM schema_migrations LIMIT 1;");

    /// <summary>Runs <paramref name="statement"/> before each matching insert into <paramref name="table"/>, in its transaction.</summary>
    public static Task BeforeInsertAsync(GatehouseApp app, string table, string when, string statement) => app.ExecuteSqlAsync(app.Database == DatabaseKind.Sqlite
        ? $"CREATE TRIGGER {Name} BEFORE INSERT ON {table} WHEN {when} BEGIN {statement} END;"
        : $"CREATE FUNCTION {Name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {statement} RETURN NEW; END $$; " +
          $"CREATE TRIGGER {Name} BEFORE INSERT ON {table} FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION {Name}();");

    /// <summary>
    /// Runs <paramref name="statement"/> after each matching insert into <paramref name="table"/>, in its transaction:
    /// what the statement changes commits with the insert (e.g. the row's parent deleted, as a concurrent request
    /// would right after the commit).
    /// </summary>
    public static Task AfterInsertAsync(GatehouseApp app, string table, string when, string statement) => app.ExecuteSqlAsync(app.Database == DatabaseKind.Sqlite
        ? $"CREATE TRIGGER {Name} AFTER INSERT ON {table} WHEN {when} BEGIN {statement} END;"
        : $"CREATE FUNCTION {Name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {statement} RETURN NULL; END $$; " +
          $"CREATE TRIGGER {Name} AFTER INSERT ON {table} FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION {Name}();");

    public static Task StopAsync(GatehouseApp app, string table) => app.ExecuteSqlAsync(app.Database == DatabaseKind.Sqlite
        ? $"DROP TRIGGER {Name};"
        : $"DROP TRIGGER {Name} ON {table}; DROP FUNCTION {Name}();");
}
