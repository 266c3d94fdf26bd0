using System.Collections.Concurrent;
using Gatehouse.Security.Passwords;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// A password hash that records which password it was given and then blocks until the test releases
/// it: with one hashing thread, the order of <see cref="Started"/> is the order the queue chose. Every
/// verification fails and costs the full configured count (so the executor asks for no padding).
/// </summary>
internal sealed class BlockingHashFunction : IPasswordHashFunction, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _started = new(0);
    private readonly SemaphoreSlim _release = new(0);
    private readonly ConcurrentQueue<string> _order = new();

    /// <summary>The passwords in the order their hashes started.</summary>
    public IReadOnlyList<string> Started => _order.ToArray();

    public string Hash(string password, int iterations)
    {
        Block(password);
        return DjangoPasswordHasher.Hash(password, 1);
    }

    public (PasswordVerificationResult Result, int Cost) Verify(string password, string? encoded, int currentIterations)
    {
        Block(password);
        return (PasswordVerificationResult.Failed, currentIterations);
    }

    public void Spend(string password, int iterations)
    {
    }

    /// <summary>Waits until one more hash has started (and is now blocked).</summary>
    public async Task WaitForStartAsync()
    {
        if (!await _started.WaitAsync(Patience))
        {
            throw new TimeoutException("no hash started");
        }
    }

    /// <summary>Releases the running hash, then each of the next <paramref name="count"/> once it has started.</summary>
    public async Task RunOneByOneAsync(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _release.Release();
            await WaitForStartAsync();
        }
        _release.Release();
    }

    /// <summary>Lets <paramref name="count"/> hashes (running or still to come) finish.</summary>
    public void Release(int count) => _release.Release(count);

    private void Block(string password)
    {
        _order.Enqueue(password);
        _started.Release();
        if (!_release.Wait(Patience))
        {
            throw new TimeoutException("the test never released the hash");
        }
    }

    public void Dispose()
    {
        _release.Release(1000); // never leave a hashing thread blocked behind a failed test
    }
}
