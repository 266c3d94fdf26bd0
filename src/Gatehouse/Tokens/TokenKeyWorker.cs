using Gatehouse.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Tokens;

/// <summary>
/// With the JWT strategy or the cookie endpoints: loads (or on first start makes) the signing keys before the server serves, then on
/// every <see cref="TokenOptions.KeyReloadInterval"/> re-reads them (keys other nodes added), rotates when due,
/// drops keys nothing valid was signed by, wipes refresh successors past their grace period and deletes
/// expired refresh tokens. Its waits are TimeProvider timers.
/// </summary>
public sealed partial class TokenKeyWorker(
    SigningKeys keys, IServiceScopeFactory scopes, IOptions<TokenOptions> options, TimeProvider time, ILogger<TokenKeyWorker> logger)
    : BackgroundService
{
    private readonly TokenOptions _options = options.Value;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.SigningEnabled)
        {
            // Before the first request: a login must be able to sign.
            await keys.EnsureAsync(cancellationToken);
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.SigningEnabled)
        {
            return;
        }
        using var timer = new PeriodicTimer(_options.KeyReloadInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.PassFailed(logger, ex);
            }
        }
    }

    /// <summary>One pass (tests call it after moving the clock).</summary>
    public async Task RunOnceAsync(CancellationToken ct)
    {
        await keys.ReloadAsync(ct);
        await keys.RotateIfDueAsync(ct);
        await keys.PruneAsync(ct);
        var now = time.GetUtcNow().UtcDateTime;
        var graceEnded = now - _options.RefreshReuseGracePeriod;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        await db.RefreshTokens.Where(t => t.Successor != null && t.UsedAt < graceEnded)
            .ExecuteUpdateAsync(u => u.SetProperty(t => t.Successor, (string?)null), ct);
        await db.RefreshTokens.Where(t => t.ExpiresAt < now).ExecuteDeleteAsync(ct);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "The token key pass failed; it runs again at the next interval")]
        public static partial void PassFailed(ILogger logger, Exception exception);
    }
}
