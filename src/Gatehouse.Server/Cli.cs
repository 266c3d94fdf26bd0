using Gatehouse.Storage;
using Gatehouse.Tokens;

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

    /// <summary>
    /// <c>keys rotate</c>: adds the next JWT signing key, published at once and signing after
    /// Gatehouse:Tokens:KeyPublicationDelay (every node picks it up on its next key reload); the old key stays
    /// published until its last token expired. <c>keys list</c>: the keys and their state. No secret is printed.
    /// </summary>
    public static async Task<int> KeysAsync(string[] args)
    {
        var command = args.FirstOrDefault();
        if (command is not ("rotate" or "list"))
        {
            await Console.Error.WriteLineAsync("Usage: Gatehouse.Server keys rotate|list");
            return 2;
        }
        var builder = WebApplication.CreateBuilder(args[1..]);
        builder.Services.AddGatehouse(builder.Configuration);
        await using var app = builder.Build();
        var keys = app.Services.GetRequiredService<SigningKeys>();
        await keys.ReloadAsync(CancellationToken.None);
        if (command == "rotate")
        {
            var added = await keys.RotateAsync(CancellationToken.None);
            await Console.Out.WriteLineAsync(FormattableString.Invariant(
                $"Added signing key {added.Kid} (generation {added.Generation}, {added.Algorithm}); it signs from {added.ActivatesAt:O}."));
        }
        var now = app.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var signing = keys.Current.SigningKeyAt(now);
        foreach (var key in keys.Current.All)
        {
            var state = key == signing ? "signing"
                : key.ActivatesAt > now ? "published, signs from " + key.ActivatesAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture)
                : SigningKeySet.IsPublished(key, now, keys.RetentionAfterSupersede) ? "retired, still published"
                : "expired";
            await Console.Out.WriteLineAsync(FormattableString.Invariant($"{key.Generation}	{key.Kid}	{key.Algorithm}	{state}"));
        }
        return 0;
    }
}
