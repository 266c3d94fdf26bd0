using Gatehouse.Configuration;
using Gatehouse.Storage;
using Microsoft.Extensions.Options;

namespace Gatehouse.Server;

internal static class Startup
{
    /// <summary>Development convenience: apply migrations at start when Gatehouse:Database:AutoMigrate is on.</summary>
    public static async Task MigrateIfConfiguredAsync(WebApplication app)
    {
        if (!app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.AutoMigrate)
        {
            return;
        }
        await using var scope = app.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<SchemaMigrator>().MigrateAsync();
    }
}
