using Gatehouse.Configuration;
using Gatehouse.Security;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Email;

/// <summary>
/// Sends what the outbox holds. Each message is claimed with a conditional update of
/// <c>locked_until</c> (so two nodes never send one message twice), sent, and marked sent; a failure
/// schedules a retry with exponential back-off until <see cref="EmailOptions.OutboxMaxAttempts"/>.
/// A crash between sending and marking may send a mail twice, never zero times. Every wait (the poll,
/// the back-off) is a timer of the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class OutboxWorker(
    IServiceScopeFactory scopes, IMailTransport transport, OutboxSignal signal, SecretBox box, TimeProvider time,
    IOptions<EmailOptions> options, ILogger<OutboxWorker> logger) : BackgroundService
{
    private const int BatchSize = 20;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromHours(1);
    private int _activePasses;
    private int _waiting;

    /// <summary>
    /// How long a claim holds a message. One send is a handful of SMTP exchanges (connect, EHLO,
    /// STARTTLS, AUTH, MAIL, RCPT, DATA), each bounded by the SMTP timeout, and possibly twice when a
    /// lost connection is retried: the lease must outlast that, or another node would send the message too.
    /// </summary>
    internal TimeSpan Lease => TimeSpan.FromTicks(Math.Max(TimeSpan.FromMinutes(2).Ticks, options.Value.Smtp.Timeout.Ticks * 8));

    /// <summary>Passes running now (the loop's and any caller's), so a test can tell when the worker is idle.</summary>
    internal int ActivePasses => Volatile.Read(ref _activePasses);

    /// <summary>The loop is between passes, waiting for a wake-up or its deadline (for tests that need it idle).</summary>
    internal bool Waiting => Volatile.Read(ref _waiting) == 1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var deadline = time.GetUtcNow() + options.Value.OutboxPollInterval;
            try
            {
                while (await DeliverDueAsync(stoppingToken) > 0)
                {
                }
                if (await NextClaimableAsync(stoppingToken) is { } next && next < deadline)
                {
                    deadline = next;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Log.PassFailed(logger, ex); // the database may be away; try again on the next pass
            }
            try
            {
                Volatile.Write(ref _waiting, 1);
                await signal.WaitUntilAsync(deadline, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            finally
            {
                Volatile.Write(ref _waiting, 0);
            }
        }
    }

    /// <summary>
    /// When the next unsent message can be claimed: at the end of its back-off, or of the lease another
    /// node holds on it. The worker wakes then rather than at the poll after it, so a back-off ends on time.
    /// </summary>
    private async Task<DateTimeOffset?> NextClaimableAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        var next = await db.OutboxMessages.AsNoTracking()
            .Where(m => m.SentAt == null && m.FailedAt == null)
            .Select(m => m.LockedUntil != null && m.LockedUntil > m.NextAttemptAt ? m.LockedUntil.Value : m.NextAttemptAt)
            .OrderBy(at => at)
            .Select(at => (DateTime?)at)
            .FirstOrDefaultAsync(ct);
        return next is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;
    }

    /// <summary>
    /// One pass: claims and delivers up to a batch of due messages over one connection of the
    /// transport; returns how many it handled (sent or failed).
    /// </summary>
    public async Task<int> DeliverDueAsync(CancellationToken ct)
    {
        Interlocked.Increment(ref _activePasses);
        try
        {
            return await DeliverBatchAsync(ct);
        }
        finally
        {
            Interlocked.Decrement(ref _activePasses);
        }
    }

    private async Task<int> DeliverBatchAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        var due = await db.OutboxMessages.AsNoTracking()
            .Where(m => m.SentAt == null && m.FailedAt == null && m.NextAttemptAt <= now && (m.LockedUntil == null || m.LockedUntil <= now))
            .OrderBy(m => m.NextAttemptAt)
            .Select(m => m.Id)
            .Take(BatchSize)
            .ToListAsync(ct);
        if (due.Count == 0)
        {
            return 0;
        }

        var handled = 0;
        await using var batch = transport.StartBatch();
        foreach (var id in due)
        {
            var message = await ClaimAsync(db, id, ct);
            if (message is null)
            {
                continue; // another node has it, or sent it since the query
            }
            handled++;
            try
            {
                // Opened for the row's recipient: a body moved into another row fails here and is not sent.
                message.TextBody = box.Open(message.TextBody, Mailer.TextBodyPurpose, message.ToAddress);
                message.HtmlBody = message.HtmlBody is null ? null : box.Open(message.HtmlBody, Mailer.HtmlBodyPurpose, message.ToAddress);
                await batch.SendAsync(message, ct);
                var sentAt = time.GetUtcNow().UtcDateTime;
                // Delivered: the links and codes in the body have no reason to stay in the database.
                await db.OutboxMessages.Where(m => m.Id == id).ExecuteUpdateAsync(s => s
                    .SetProperty(m => m.SentAt, sentAt)
                    .SetProperty(m => m.LockedUntil, (DateTime?)null)
                    .SetProperty(m => m.TextBody, "")
                    .SetProperty(m => m.HtmlBody, (string?)null), ct);
                Log.Sent(logger, id);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                await RecordFailureAsync(db, message, ex);
            }
        }
        return handled;
    }

    /// <summary>
    /// Claims one message for this node. The lease is computed now, at this claim, not once for the
    /// batch: after a slow message, a lease taken from the batch's start would already have run out, and
    /// another node would claim and send the message as well. The due conditions are checked again, since
    /// the list was read before the earlier messages of the batch were sent.
    /// </summary>
    private async Task<OutboxMessage?> ClaimAsync(GatehouseDbContext db, long id, CancellationToken ct)
    {
        var claimedAt = time.GetUtcNow().UtcDateTime;
        var lockedUntil = claimedAt + Lease;
        var claimed = await db.OutboxMessages
            .Where(m => m.Id == id && m.SentAt == null && m.FailedAt == null && m.NextAttemptAt <= claimedAt &&
                (m.LockedUntil == null || m.LockedUntil <= claimedAt))
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.LockedUntil, lockedUntil), ct);
        return claimed == 0 ? null : await db.OutboxMessages.AsNoTracking().FirstAsync(m => m.Id == id, ct);
    }

    private async Task RecordFailureAsync(GatehouseDbContext db, OutboxMessage message, Exception ex)
    {
        var attempts = message.Attempts + 1;
        var failedNow = time.GetUtcNow().UtcDateTime;
        var backoff = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, attempts) * 5));
        DateTime? failedAt = attempts >= options.Value.OutboxMaxAttempts ? failedNow : null;
        // The exception text of an SMTP failure names the server's answer, not the message: safe to keep.
        var error = ex.GetType().Name + ": " + ex.Message;
        await db.OutboxMessages.Where(m => m.Id == message.Id).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.Attempts, attempts)
            .SetProperty(m => m.NextAttemptAt, failedNow + backoff)
            .SetProperty(m => m.LockedUntil, (DateTime?)null)
            .SetProperty(m => m.FailedAt, failedAt)
            .SetProperty(m => m.TextBody, m => failedAt == null ? m.TextBody : "")
            .SetProperty(m => m.HtmlBody, m => failedAt == null ? m.HtmlBody : null)
            .SetProperty(m => m.LastError, error.Length > 2000 ? error[..2000] : error), CancellationToken.None);
        Log.SendFailed(logger, message.Id, attempts, ex.GetType().Name);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Outbox message {Id} sent")]
        public static partial void Sent(ILogger logger, long id);

        [LoggerMessage(2, LogLevel.Warning, "Outbox message {Id} not sent (attempt {Attempts}): {Error}")]
        public static partial void SendFailed(ILogger logger, long id, int attempts, string error);

        [LoggerMessage(3, LogLevel.Warning, "Outbox pass failed")]
        public static partial void PassFailed(ILogger logger, Exception exception);
    }
}
