using Gatehouse.Configuration;
using Gatehouse.Security;
using Gatehouse.Storage;
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
/// A crash between sending and marking may send a mail twice, never zero times.
/// </summary>
public sealed partial class OutboxWorker(
    IServiceScopeFactory scopes, IMailTransport transport, OutboxSignal signal, SecretBox box, TimeProvider time,
    IOptions<EmailOptions> options, ILogger<OutboxWorker> logger) : BackgroundService
{
    private static readonly TimeSpan ClaimFor = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await DeliverDueAsync(stoppingToken) > 0)
                {
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
                await signal.WaitAsync(options.Value.OutboxPollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One pass: claims and delivers up to a batch of due messages; returns how many it handled.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatehouseDbContext>();
        var now = time.GetUtcNow().UtcDateTime;
        var due = await db.OutboxMessages.AsNoTracking()
            .Where(m => m.SentAt == null && m.FailedAt == null && m.NextAttemptAt <= now && (m.LockedUntil == null || m.LockedUntil < now))
            .OrderBy(m => m.NextAttemptAt)
            .Select(m => m.Id)
            .Take(20)
            .ToListAsync(ct);

        var handled = 0;
        foreach (var id in due)
        {
            var lockUntil = now + ClaimFor;
            var claimed = await db.OutboxMessages
                .Where(m => m.Id == id && m.SentAt == null && (m.LockedUntil == null || m.LockedUntil < now))
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.LockedUntil, lockUntil), ct);
            if (claimed == 0)
            {
                continue; // another node has it
            }
            var message = await db.OutboxMessages.AsNoTracking().FirstAsync(m => m.Id == id, ct);
            handled++;
            try
            {
                // Opened for the row's recipient: a body moved into another row fails here and is not sent.
                message.TextBody = box.Open(message.TextBody, Mailer.TextBodyPurpose, message.ToAddress);
                message.HtmlBody = message.HtmlBody is null ? null : box.Open(message.HtmlBody, Mailer.HtmlBodyPurpose, message.ToAddress);
                await transport.SendAsync(message, ct);
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
                var attempts = message.Attempts + 1;
                var failedNow = time.GetUtcNow().UtcDateTime;
                var backoff = TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, attempts) * 5));
                DateTime? failedAt = attempts >= options.Value.OutboxMaxAttempts ? failedNow : null;
                // The exception text of an SMTP failure names the server's answer, not the message: safe to keep.
                var error = ex.GetType().Name + ": " + ex.Message;
                await db.OutboxMessages.Where(m => m.Id == id).ExecuteUpdateAsync(s => s
                    .SetProperty(m => m.Attempts, attempts)
                    .SetProperty(m => m.NextAttemptAt, failedNow + backoff)
                    .SetProperty(m => m.LockedUntil, (DateTime?)null)
                    .SetProperty(m => m.FailedAt, failedAt)
                    .SetProperty(m => m.TextBody, m => failedAt == null ? m.TextBody : "")
                    .SetProperty(m => m.HtmlBody, m => failedAt == null ? m.HtmlBody : null)
                    .SetProperty(m => m.LastError, error.Length > 2000 ? error[..2000] : error), CancellationToken.None);
                Log.SendFailed(logger, id, attempts, ex.GetType().Name);
            }
        }
        return handled;
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
