using Gatehouse.Storage;

namespace Gatehouse.Server;

/// <summary>The command-line side of the server.</summary>
internal static class Cli
{
    public static async Task<int> MigrateAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddGatehouse(builder.Configuration);
        await using var app = builder.Build();
        await using var scope = app.Services.CreateAsyncScope();
        var applied = await scope.ServiceProvider.GetRequiredService<SchemaMigrator>().MigrateAsync();
        await Console.Out.WriteLineAsync(applied.Count == 0
            ? "The database schema is up to date."
            : $"Applied {applied.Count} migration(s): {string.Join(", ", applied)}");
        return 0;
    }
}
