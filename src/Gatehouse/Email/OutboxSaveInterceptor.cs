using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Gatehouse.Email;

/// <summary>
/// Wakes the outbox worker after a save that wrote mail, so a committed mail goes out at once rather
/// than at the next poll. (An interceptor, not an event handler, because DbContexts are pooled.)
/// </summary>
public sealed class OutboxSaveInterceptor(OutboxSignal signal) : SaveChangesInterceptor
{
    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context?.ChangeTracker.Entries<OutboxMessage>().Any() == true)
        {
            signal.Notify();
        }
        return ValueTask.FromResult(result);
    }
}
