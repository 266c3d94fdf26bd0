using Npgsql;

namespace Gatehouse.Tests.Infrastructure;

// Named Postgres*: skipped without a server (GATEHOUSE_TEST_POSTGRES), failed without one under CI.
public sealed class PostgresServerTests
{
    [Fact]
    public async Task CreateDatabase_GivesAFreshDatabase_ThatDropDatabaseRemoves()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("PostgresServer Tests");
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        Assert.StartsWith("postgresserver_tests_", name, StringComparison.Ordinal);

        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_database()", connection);
            Assert.Equal(name, await command.ExecuteScalarAsync());
        }

        await PostgresServer.DropDatabaseAsync(connectionString);

        Assert.False(await DatabaseExistsAsync(name));
    }

    private static async Task<bool> DatabaseExistsAsync(string name)
    {
        await using var connection = new NpgsqlConnection(PostgresServer.BaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM pg_database WHERE datname = @name", connection);
        command.Parameters.AddWithValue("name", name);
        return (long)(await command.ExecuteScalarAsync())! == 1;
    }
}
