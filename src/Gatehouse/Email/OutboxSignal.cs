namespace Gatehouse.Email;

/// <summary>Wakes the outbox worker when a mail was committed, so delivery does not wait for the next poll.</summary>
public sealed class OutboxSignal : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Notify()
    {
        try
        {
            _semaphore.Release();
        }
        catch (SemaphoreFullException)
        {
            // already signalled
        }
    }

    public void Dispose() => _semaphore.Dispose();

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _semaphore.WaitAsync(timeout, ct);
}
