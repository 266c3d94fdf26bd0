using System.Collections.Concurrent;
using System.Diagnostics;
using Gatehouse.Security.Passwords;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using PasswordOptions = Gatehouse.Security.Passwords.PasswordOptions;

namespace Gatehouse.Tests.Security;

public sealed class PasswordHashingExecutorTests
{
    private static IOptions<PasswordOptions> Options(int iterations = 1000, int maxConcurrentHashes = 0) =>
        Microsoft.Extensions.Options.Options.Create(new PasswordOptions { Iterations = iterations, MaxConcurrentHashes = maxConcurrentHashes });

    [Fact]
    public async Task HashAsync_ThenVerifyAsync_SucceedsForTheRightPasswordOnly()
    {
        using var executor = new PasswordHashingExecutor(Options());

        string encoded = await executor.HashAsync("correct horse", CancellationToken.None);

        Assert.StartsWith("pbkdf2_sha256$1000$", encoded, StringComparison.Ordinal);
        Assert.Equal(PasswordVerificationResult.Success, await executor.VerifyAsync("correct horse", encoded, CancellationToken.None));
        Assert.Equal(PasswordVerificationResult.Failed, await executor.VerifyAsync("correct horsf", encoded, CancellationToken.None));
    }

    [Fact]
    public async Task VerifyAsync_HashWithFewerIterations_NeedsRehash()
    {
        using var executor = new PasswordHashingExecutor(Options(iterations: 2000));

        string old = DjangoPasswordHasher.Hash("correct horse", 1000);

        Assert.Equal(PasswordVerificationResult.SuccessRehashNeeded, await executor.VerifyAsync("correct horse", old, CancellationToken.None));
    }

    [Fact]
    public async Task Executor_NeverRunsMoreHashesAtOnceThanConfigured()
    {
        int running = 0;
        int peak = 0;
        void AroundJob(Action job)
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            Thread.Sleep(25); // keep jobs overlapping, so a missing bound would show
            job();
            Interlocked.Decrement(ref running);
        }
        using var executor = new PasswordHashingExecutor(Options(maxConcurrentHashes: 2), AroundJob);

        await Task.WhenAll(Enumerable.Range(0, 16).Select(i => executor.HashAsync($"password {i}", CancellationToken.None)));

        // Exactly 2: never more (the bound), and the two threads really do work in parallel.
        Assert.Equal(2, peak);
        Assert.Equal(2, executor.Concurrency);
    }

    [Fact]
    public async Task Executor_RunsHashesOnItsOwnThreadsNeverOnThePool()
    {
        var threads = new ConcurrentBag<(bool IsPool, string? Name)>();
        using var executor = new PasswordHashingExecutor(
            Options(maxConcurrentHashes: 2),
            job =>
            {
                threads.Add((Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name));
                job();
            });

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => executor.VerifyAsync($"p{i}", null, CancellationToken.None)));

        Assert.Equal(8, threads.Count);
        Assert.All(threads, thread =>
        {
            Assert.False(thread.IsPool);
            Assert.StartsWith("gatehouse-password-hash-", thread.Name, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task HashAsync_ContinuationDoesNotRunOnTheHashingThread()
    {
        using var gate = new ManualResetEventSlim();
        using var executor = new PasswordHashingExecutor(
            Options(maxConcurrentHashes: 1),
            job =>
            {
                gate.Wait(TimeSpan.FromSeconds(10));
                job();
            });

        // The job cannot finish before the helper has started awaiting it, so its continuation is
        // registered by the time the worker completes the task.
        Task<string?> resumedOnTask = ThreadNameAfterHashAsync(executor);
        gate.Set();
        string? resumedOn = await resumedOnTask;

        // Without RunContinuationsAsynchronously the continuation would run inline on the worker that completed the job.
        Assert.NotEqual("gatehouse-password-hash-1", resumedOn);
    }

    // ConfigureAwait(false) lets the continuation run wherever the task completes it, which is what
    // a request's continuation in ASP.NET Core (no synchronization context) does.
    private static async Task<string?> ThreadNameAfterHashAsync(PasswordHashingExecutor executor)
    {
        await executor.HashAsync("correct horse", CancellationToken.None).ConfigureAwait(false);
        return Thread.CurrentThread.Name;
    }

    [Fact]
    public async Task VerifyAsync_UnknownOrSocialOnlyAccount_FailsAfterRunningOneHashJob()
    {
        // Counted, not timed (speed belongs to the benchmark): an unknown or social-only account must
        // still put one hash through the executor, as a wrong password does, so timing reveals nothing.
        int jobs = 0;
        using var executor = new PasswordHashingExecutor(
            Options(iterations: 1000, maxConcurrentHashes: 1),
            job =>
            {
                Interlocked.Increment(ref jobs);
                job();
            });
        string encoded = DjangoPasswordHasher.Hash("correct horse", 1000);

        Assert.Equal(PasswordVerificationResult.Failed, await executor.VerifyAsync("wrong", encoded, CancellationToken.None));
        Assert.Equal(1, jobs);
        Assert.Equal(PasswordVerificationResult.Failed, await executor.VerifyAsync("wrong", null, CancellationToken.None));
        Assert.Equal(2, jobs);
        Assert.Equal(PasswordVerificationResult.Failed, await executor.VerifyAsync("wrong", DjangoPasswordHasher.UnusablePassword(), CancellationToken.None));
        Assert.Equal(3, jobs);
    }

    [Fact]
    public async Task HashingThreads_RunAtNiceTen_SoRequestThreadsGoFirst()
    {
        Assert.True(OperatingSystem.IsLinux(), "this machine kind is Linux; the priority change is Linux-only");
        int nice = int.MinValue;
        using var executor = new PasswordHashingExecutor(
            Options(iterations: 1000, maxConcurrentHashes: 1),
            job =>
            {
                // /proc/thread-self/stat: field 19 is the nice value; fields after the ")" start at 3.
                var stat = File.ReadAllText("/proc/thread-self/stat");
                nice = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], System.Globalization.CultureInfo.InvariantCulture);
                job();
            });

        await executor.HashAsync("x", CancellationToken.None);

        Assert.Equal(10, nice);
    }

    [Fact]
    public async Task HashAsync_CancelledWhileQueued_IsSkipped()
    {
        using var gate = new ManualResetEventSlim();
        int ran = 0;
        using var executor = new PasswordHashingExecutor(
            Options(maxConcurrentHashes: 1),
            job =>
            {
                Interlocked.Increment(ref ran);
                gate.Wait(TimeSpan.FromSeconds(10));
                job();
            });
        using var cts = new CancellationTokenSource();

        Task<string> first = executor.HashAsync("first", CancellationToken.None);
        Task<string> second = executor.HashAsync("second", cts.Token);
        await cts.CancelAsync();
        gate.Set();

        await first;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        Task<string> third = executor.HashAsync("third", CancellationToken.None);
        await third;
        Assert.Equal(2, Volatile.Read(ref ran)); // first and third; second never started
    }

    [Fact]
    public async Task HashAsync_WithAlreadyCancelledToken_ReturnsCancelledTask()
    {
        using var executor = new PasswordHashingExecutor(Options());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => executor.HashAsync("x", new CancellationToken(canceled: true)));
    }

    [Fact]
    public async Task Dispose_ReleasesCallersStillQueued()
    {
        using var started = new ManualResetEventSlim();
        using var gate = new ManualResetEventSlim();
        var executor = new PasswordHashingExecutor(
            Options(maxConcurrentHashes: 1),
            job =>
            {
                started.Set();
                gate.Wait(TimeSpan.FromSeconds(10));
                job();
            });
        Task<string> running = executor.HashAsync("running", CancellationToken.None);
        Task<string> queued = executor.HashAsync("queued", CancellationToken.None);
        Assert.True(started.Wait(TimeSpan.FromSeconds(5)));

        var disposing = new Thread(executor.Dispose);
        disposing.Start();
        // Dispose has cancelled the workers once it waits in Join for the job still running.
        Assert.True(SpinWait.SpinUntil(() => (disposing.ThreadState & System.Threading.ThreadState.WaitSleepJoin) != 0, TimeSpan.FromSeconds(5)));
        gate.Set();
        disposing.Join();

        await running;
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued);
        Assert.Throws<ObjectDisposedException>(() => { _ = executor.HashAsync("late", CancellationToken.None); });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(60_000_000)]
    public void Constructor_IterationsOutOfRange_ThrowsWithTheSettingToFix(int iterations)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new PasswordHashingExecutor(Options(iterations: iterations)));

        Assert.Contains("Gatehouse:Passwords:Iterations", ex.Message, StringComparison.Ordinal);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current = Volatile.Read(ref target);
        while (value > current)
        {
            int seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }
            current = seen;
        }
    }
}
