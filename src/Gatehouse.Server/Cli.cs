using Gatehouse.Storage;

namespace Gatehouse.Server;

/// <summary>The command-line side of the server.</summary>
internal static class Cli
{
    /// <summary><c>migrate</c>: the library's MigrateGatehouseAsync, without starting the server.</summary>
    public static async Task<int> MigrateAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddGatehouse(builder.Configuration);
        await using var app = builder.Build();
        IReadOnlyList<string> applied;
        try
        {
            applied = await app.MigrateGatehouseAsync();
        }
        catch (SchemaMismatchException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 1;
        }
        await Console.Out.WriteLineAsync(applied.Count == 0
            ? "The database schema is up to date."
            : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}");
        return 0;
    }
}
