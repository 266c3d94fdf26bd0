using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Storage;

/// <summary>
/// Deletes what can no longer be used: expired sessions (including abandoned pending flows), used or
/// expired mail keys, expired code challenges, stale rate-limit windows, ended mail cooldowns, and delivered mail older than a week. Every node may
/// run it; the deletes are idempotent.
/// </summary>
public sealed partial class MaintenanceWorker(IServiceScopeFactory scopes, TimeProvider time, ILogger<MaintenanceWorker> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, time, stoppingToken);
                await RunOnceAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.Failed(logger, ex);
            }
        }
    }

    public async Task RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        var dayAgo = now.AddDays(-1);
        var weekAgo = now.AddDays(-7);
        var sessions = await db.Sessions.Where(s => s.ExpiresAt <= now).ExecuteDeleteAsync(ct);
        var keys = await db.VerificationKeys.Where(k => k.ExpiresAt <= now || k.ConsumedAt < dayAgo).ExecuteDeleteAsync(ct);
        var challenges = await db.CodeChallenges.Where(c => c.ExpiresAt <= now).ExecuteDeleteAsync(ct);
        var mails = await db.OutboxMessages.Where(m => m.SentAt < weekAgo).ExecuteDeleteAsync(ct);
        var windowFloor = time.GetUtcNow().ToUnixTimeSeconds() - 86_400;
        var counters = await db.Database.ExecuteSqlAsync($"DELETE FROM rate_limit_counters WHERE window_start < {windowFloor}", ct);
        var cooldownFloor = time.GetUtcNow().ToUnixTimeMilliseconds();
        await db.Database.ExecuteSqlAsync($"DELETE FROM mail_cooldowns WHERE until_ms < {cooldownFloor}", ct);
        Log.Cleaned(logger, sessions, keys + challenges, mails, counters);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Maintenance removed {Sessions} sessions, {Keys} keys and codes, {Mails} sent mails, {Counters} rate-limit windows")]
        public static partial void Cleaned(ILogger logger, int sessions, int keys, int mails, int counters);

        [LoggerMessage(2, LogLevel.Warning, "Maintenance pass failed")]
        public static partial void Failed(ILogger logger, Exception exception);
    }
}
