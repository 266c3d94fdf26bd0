namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// A real database fault at an exact point: every insert into a table (matching a condition) fails with a unique-index
/// violation, which a trigger causes by inserting a schema_migrations version that exists, as a concurrent writer that
/// filled the index first would. The API answers it as a lost race (409).
/// </summary>
public static class FailingInserts
{
    private const string Name = "test_fail_insert";

    public static Task StartAsync(GatehouseApp app, string table, string when = "1 = 1") => app.ExecuteSqlAsync(app.Database == DatabaseKind.Sqlite
        ? $"CREATE TRIGGER {Name} BEFORE INSERT ON {table} WHEN {when} " +
          "BEGIN INSERT INTO schema_migrations (version, name, applied_at) SELECT version, name, applied_at FROM schema_migrations LIMIT 1; END;"
        : $"CREATE FUNCTION {Name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN " +
          "INSERT INTO schema_migrations (version, name, applied_at) SELECT version, name, applied_at FROM schema_migrations LIMIT 1; RETURN NEW; END $$; " +
          $"CREATE TRIGGER {Name} BEFORE INSERT ON {table} FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION {Name}();");

    public static Task StopAsync(GatehouseApp app, string table) => app.ExecuteSqlAsync(app.Database == DatabaseKind.Sqlite
        ? $"DROP TRIGGER {Name};"
        : $"DROP TRIGGER {Name} ON {table}; DROP FUNCTION {Name}();");
}
