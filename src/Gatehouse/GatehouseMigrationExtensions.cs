using Gatehouse.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gatehouse;

/// <summary>
/// For hosts that migrate at deploy time (a release step, an init container) rather than at start:
/// <c>await app.MigrateGatehouseAsync();</c> before <c>app.Run()</c>, or in a command of its own.
/// Gatehouse.Server's <c>migrate</c> command is this call.
/// </summary>
public static class GatehouseMigrationExtensions
{
    /// <summary>
    /// Applies the schema migrations the database lacks; returns the names of those applied. Throws
    /// <see cref="SchemaMismatchException"/> when a newer Gatehouse has migrated the database.
    /// </summary>
    public static async Task<IReadOnlyList<string>> MigrateGatehouseAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<SchemaMigrator>().MigrateAsync(cancellationToken);
    }

    /// <inheritdoc cref="MigrateGatehouseAsync(IServiceProvider, CancellationToken)"/>
    public static Task<IReadOnlyList<string>> MigrateGatehouseAsync(this IHost host, CancellationToken cancellationToken = default) =>
        host.Services.MigrateGatehouseAsync(cancellationToken);
}
