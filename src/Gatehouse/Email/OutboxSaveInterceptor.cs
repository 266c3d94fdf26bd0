using System.Data.Common;
using System.Runtime.CompilerServices;
using Gatehouse.Configuration;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Gatehouse.Email;

/// <summary>
/// Every outbox row passes here on its way to the database. Two jobs:
/// <list type="bullet">
/// <item>Wakes the outbox worker once the mail is committed, so it goes out at once rather than at the
/// next poll. "Committed" is the end of SaveChanges when it ran its own transaction, and the commit of
/// the caller's transaction when there is one: a wake-up before that commit finds nothing to send
/// (the worker cannot see the uncommitted row) and the mail would wait for the poll.</item>
/// <item>Applies the notice cooldown (<see cref="EmailOptions.NoticeCooldown"/>) to messages that
/// carry a <see cref="OutboxMessage.CooldownKey"/>: within it the message is dropped before it is
/// written. The request does the same work either way, and answers the same.</item>
/// </list>
/// An interceptor, not DbContext events, because DbContexts are pooled.
/// </summary>
public sealed class OutboxSaveInterceptor(OutboxSignal signal, IOptions<EmailOptions> options, TimeProvider time)
    : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    // Transactions that wrote mail and have not committed yet; weak, so a transaction that is disposed
    // without a commit (rolled back) leaves nothing behind.
    private readonly ConditionalWeakTable<DbTransaction, object> _wroteMail = [];

    public async ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } context)
        {
            foreach (var entry in context.ChangeTracker.Entries<OutboxMessage>().Where(e => e.State == EntityState.Added).ToList())
            {
                if (entry.Entity.CooldownKey is { } key && !await TryStartCooldownAsync(context, key, cancellationToken))
                {
                    entry.State = EntityState.Detached;
                }
            }
        }
        return result;
    }

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        // Gatehouse saves asynchronously everywhere; a synchronous save that held a notice would skip the
        // cooldown, so refuse it rather than flood.
        if (eventData.Context?.ChangeTracker.Entries<OutboxMessage>().Any(e => e.State == EntityState.Added && e.Entity.CooldownKey is not null) == true)
        {
            throw new InvalidOperationException("Outbox notices must be saved with SaveChangesAsync.");
        }
        return result;
    }

    public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        SavedChanges(eventData, result);
        return ValueTask.FromResult(result);
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (eventData.Context is { } context && context.ChangeTracker.Entries<OutboxMessage>().Any())
        {
            if (context.Database.CurrentTransaction?.GetDbTransaction() is { } transaction)
            {
                _wroteMail.AddOrUpdate(transaction, true);
            }
            else
            {
                signal.Notify();
            }
        }
        return result;
    }

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionCommitted(transaction, eventData);
        return Task.CompletedTask;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (_wroteMail.Remove(transaction))
        {
            signal.Notify();
        }
    }

    /// <summary>
    /// Starts the cooldown of <paramref name="key"/> unless one is running; true when it started (the
    /// notice may go). One statement, atomic on SQLite and PostgreSQL, so two nodes cannot both send.
    /// </summary>
    private async Task<bool> TryStartCooldownAsync(DbContext context, string key, CancellationToken ct)
    {
        var cooldown = options.Value.NoticeCooldown;
        if (cooldown <= TimeSpan.Zero)
        {
            return true;
        }
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var until = now + (long)cooldown.TotalMilliseconds;
        var started = await context.Database.ExecuteSqlAsync($"""
            INSERT INTO mail_cooldowns (key, until_ms) VALUES ({key}, {until})
            ON CONFLICT (key) DO UPDATE SET until_ms = excluded.until_ms WHERE mail_cooldowns.until_ms <= {now}
            """, ct);
        return started > 0;
    }
}
