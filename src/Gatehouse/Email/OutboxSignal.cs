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

    /// <summary>
    /// Waits until notified (true) or until <paramref name="deadline"/> on <paramref name="time"/>'s
    /// clock (false). The timer is the TimeProvider's, so a test that moves a fake clock ends the wait; a
    /// notification given while nobody waited is kept for the next wait.
    /// </summary>
    public async Task<bool> WaitUntilAsync(DateTimeOffset deadline, TimeProvider time, CancellationToken ct)
    {
        var remaining = deadline - time.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            return false;
        }
        using var timer = new CancellationTokenSource(remaining, time);
        // The clock may have moved between reading it and starting the timer (a test moving a fake clock):
        // the timer then runs from the later time and would fire late, so look at the clock again.
        if (time.GetUtcNow() >= deadline)
        {
            return false;
        }
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        try
        {
            await _semaphore.WaitAsync(linked.Token);
            return true;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
