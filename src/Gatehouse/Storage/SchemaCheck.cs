using Gatehouse.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gatehouse.Storage;

/// <summary>
/// The database's schema does not match this build of Gatehouse. Thrown at start-up instead of serving:
/// a server whose tables are behind its code answers 500 to every request.
/// </summary>
public sealed class SchemaMismatchException : InvalidOperationException
{
    public SchemaMismatchException()
    {
    }

    public SchemaMismatchException(string message) : base(message)
    {
    }

    public SchemaMismatchException(string message, Exception innerException) : base(message, innerException)
    {
    }

    internal static SchemaMismatchException Behind(IReadOnlyList<string> pending) => new(
        $"The database lacks {pending.Count} schema migration(s) that this version of Gatehouse needs ({string.Join(", ", pending)}): " +
        "run `dotnet run --project src/Gatehouse.Server -- migrate` (a host that embeds Gatehouse calls MigrateGatehouseAsync() at deploy time), " +
        "or set Gatehouse:Database:AutoMigrate to true to apply them at start.");

    internal static SchemaMismatchException Ahead(IReadOnlyList<string> unknown) => new(
        $"The database was migrated by a newer version of Gatehouse ({string.Join(", ", unknown)} unknown to this one): " +
        "run that version or a later one, or restore the database from a backup taken before the upgrade.");
}

/// <summary>
/// Runs before every other hosted service of Gatehouse (and before the server listens): applies pending
/// migrations when <c>Gatehouse:Database:AutoMigrate</c> is on, otherwise refuses to start unless the
/// schema is exactly the one this build carries. Registered by AddGatehouse, so an embedding host gets it too.
/// </summary>
internal sealed class SchemaStartupCheck(IServiceProvider services, IOptions<DatabaseOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.AutoMigrate)
        {
            await services.MigrateGatehouseAsync(cancellationToken);
            return;
        }
        await using var scope = services.CreateAsyncScope();
        var status = await scope.ServiceProvider.GetRequiredService<SchemaMigrator>().GetStatusAsync(cancellationToken);
        if (status.Unknown.Count > 0)
        {
            throw SchemaMismatchException.Ahead(status.Unknown);
        }
        if (status.Pending.Count > 0)
        {
            throw SchemaMismatchException.Behind(status.Pending);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
