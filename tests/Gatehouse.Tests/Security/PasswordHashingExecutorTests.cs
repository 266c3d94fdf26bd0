using System.Collections.Concurrent;
using System.Diagnostics;
using Gatehouse.Security.Passwords;
using Gatehouse.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using PasswordOptions = Gatehouse.Security.Passwords.PasswordOptions;

namespace Gatehouse.Tests.Security;

public sealed class PasswordHashingExecutorTests
{
    private const string Client = "192.0.2.1";

    private static IOptions<PasswordOptions> Options(int iterations = 1000, int maxConcurrentHashes = 0, TimeSpan? maxQueueWait = null) =>
        Microsoft.Extensions.Options.Options.Create(new PasswordOptions
        {
            Iterations = iterations,
            MaxConcurrentHashes = maxConcurrentHashes,
            MaxQueueWait = maxQueueWait ?? TimeSpan.FromSeconds(2),
        });

    [Fact]
    public async Task HashAsync_ThenVerifyAsync_SucceedsForTheRightPasswordOnly()
    {
        using var executor = new PasswordHashingExecutor(Options());

        string encoded = await executor.HashAsync("correct horse", Client, CancellationToken.None);

        Assert.StartsWith("pbkdf2_sha256$1000$", encoded, StringComparison.Ordinal);
        Assert.Equal(PasswordVerificationResult.Success, await executor.VerifyAsync("correct horse", encoded, Client, CancellationToken.None));
        Assert.Equal(PasswordVerificationResult.Failed, await executor.VerifyAsync("correct horsf", encoded, Client, CancellationToken.None));
    }

    [Fact]
    public async Task VerifyAsync_HashWithFewerIterations_NeedsRehash()
    {
        using var executor = new PasswordHashingExecutor(Options(iterations: 2000));

        string old = DjangoPasswordHasher.Hash("correct horse", 1000);

        Assert.Equal(PasswordVerificationResult.SuccessRehashNeeded, await executor.VerifyAsync("correct horse", old, Client, CancellationToken.None));
    }

    [Fact]
    public async Task Executor_NeverRunsMoreHashesAtOnceThanConfigured()
    {
        // Jobs block until released, so the two workers are both busy before anything finishes (the
        // peak is exactly 2) and nothing else can start while they are (it never exceeds 2).
        int running = 0;
        int peak = 0;
        using var started = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        void AroundJob(Action job)
        {
            InterlockedMax(ref peak, Interlocked.Increment(ref running));
            started.Release();
            Assert.True(release.Wait(TimeSpan.FromSeconds(30)));
            Interlocked.Decrement(ref running);
            job();
        }
        using var executor = new PasswordHashingExecutor(Options(maxConcurrentHashes: 2), AroundJob);

        Task<string>[] jobs = Enumerable.Range(0, 6).Select(i => executor.HashAsync($"password {i}", Client, CancellationToken.None)).ToArray();
        Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(await started.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(4, executor.Waiting);
        release.Release(6);
        await Task.WhenAll(jobs);

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

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => executor.VerifyAsync($"p{i}", null, Client, CancellationToken.None)));

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
        await executor.HashAsync("correct horse", Client, CancellationToken.None).ConfigureAwait(false);
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

        Assert.Equal(PasswordVerificationResult.Failed, await executor.VerifyAsync("wrong", encoded, Client, CancellationToken.None));
        Assert.Equal(1, jobs);
        Assert.Equal(PasswordVerificationResult.Failed, await executor.VerifyAsync("wrong", null, Client, CancellationToken.None));
        Assert.Equal(2, jobs);
        Assert.Equal(PasswordVerificationResult.Failed, await executor.VerifyAsync("wrong", DjangoPasswordHasher.UnusablePassword(), Client, CancellationToken.None));
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

        await executor.HashAsync("x", Client, CancellationToken.None);

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

        Task<string> first = executor.HashAsync("first", Client, CancellationToken.None);
        Task<string> second = executor.HashAsync("second", Client, cts.Token);
        await cts.CancelAsync();
        gate.Set();

        await first;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        Task<string> third = executor.HashAsync("third", Client, CancellationToken.None);
        await third;
        Assert.Equal(2, Volatile.Read(ref ran)); // first and third; second never started
    }

    [Fact]
    public async Task HashAsync_WithAlreadyCancelledToken_ReturnsCancelledTask()
    {
        using var executor = new PasswordHashingExecutor(Options());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => executor.HashAsync("x", Client, new CancellationToken(canceled: true)));
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
        Task<string> running = executor.HashAsync("running", Client, CancellationToken.None);
        Task<string> queued = executor.HashAsync("queued", Client, CancellationToken.None);
        Assert.True(started.Wait(TimeSpan.FromSeconds(5)));

        var disposing = new Thread(executor.Dispose);
        disposing.Start();
        // Dispose has cancelled the workers once it waits in Join for the job still running.
        Assert.True(SpinWait.SpinUntil(() => (disposing.ThreadState & System.Threading.ThreadState.WaitSleepJoin) != 0, TimeSpan.FromSeconds(5)));
        gate.Set();
        disposing.Join();

        await running;
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued);
        Assert.Throws<ObjectDisposedException>(() => { _ = executor.HashAsync("late", Client, CancellationToken.None); });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(60_000_000)]
    public void Constructor_IterationsOutOfRange_ThrowsWithTheSettingToFix(int iterations)
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new PasswordHashingExecutor(Options(iterations: iterations)));

        Assert.Contains("Gatehouse:Passwords:Iterations", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASecondAddress_RunsBeforeTheRestOfTheFirstAddressBurst()
    {
        // One worker; the first address's burst is queued before the second address's single job, which
        // first come, first served would run last. Round robin gives it the next turn after the burst's.
        using var hash = new BlockingHashFunction();
        using var executor = new PasswordHashingExecutor(Options(maxConcurrentHashes: 1), hash, hashTime: TimeSpan.Zero);
        var jobs = new List<Task<string>> { executor.HashAsync("a1", "198.51.100.1", CancellationToken.None) };
        await hash.WaitForStartAsync();
        jobs.AddRange(new[] { "a2", "a3", "a4" }.Select(p => executor.HashAsync(p, "198.51.100.1", CancellationToken.None)));
        jobs.Add(executor.HashAsync("b1", "203.0.113.7", CancellationToken.None));

        await hash.RunOneByOneAsync(jobs.Count - 1);
        await Task.WhenAll(jobs);

        Assert.Equal(["a1", "a2", "b1", "a3", "a4"], hash.Started);
    }

    [Fact]
    public async Task AnIpv6Client_SharesItsTurnsWithItsWhole64()
    {
        // 2001:db8:1:2::99 is in the same /64 as the burst, so it queues behind it; another /64 does not.
        using var hash = new BlockingHashFunction();
        using var executor = new PasswordHashingExecutor(Options(maxConcurrentHashes: 1), hash, hashTime: TimeSpan.Zero);
        var jobs = new List<Task<string>> { executor.HashAsync("x1", "2001:db8:1:2::10", CancellationToken.None) };
        await hash.WaitForStartAsync();
        jobs.Add(executor.HashAsync("x2", "2001:db8:1:2::10", CancellationToken.None));
        jobs.Add(executor.HashAsync("x3", "2001:db8:1:2::10", CancellationToken.None));
        jobs.Add(executor.HashAsync("same64", "2001:db8:1:2::99", CancellationToken.None));
        jobs.Add(executor.HashAsync("other64", "2001:db8:1:3::1", CancellationToken.None));

        await hash.RunOneByOneAsync(jobs.Count - 1);
        await Task.WhenAll(jobs);

        Assert.Equal(["x1", "x2", "other64", "x3", "same64"], hash.Started);
    }

    [Fact]
    public async Task AJobThatWouldWaitLongerThanMaxQueueWait_IsRefused_ButAnotherAddressIsNot()
    {
        // One worker, one hash taken to last 1 s, at most 2 s of expected wait. The first address has a
        // hash running and three waiting (expected waits 0, 1 and 2 s); a fourth would wait 3 s. A second
        // address's first job only waits for one turn of the first address: 1 s, admitted.
        using var hash = new BlockingHashFunction();
        using var executor = new PasswordHashingExecutor(
            Options(maxConcurrentHashes: 1, maxQueueWait: TimeSpan.FromSeconds(2)), hash, hashTime: TimeSpan.FromSeconds(1));
        var admitted = new List<Task<PasswordVerificationResult>> { executor.VerifyAsync("a0", null, "198.51.100.1", CancellationToken.None) };
        await hash.WaitForStartAsync();
        admitted.AddRange(new[] { "a1", "a2", "a3" }.Select(p => executor.VerifyAsync(p, null, "198.51.100.1", CancellationToken.None)));

        var refused = await Assert.ThrowsAsync<HashingQueueFullException>(() => executor.VerifyAsync("a4", null, "198.51.100.1", CancellationToken.None));
        admitted.Add(executor.VerifyAsync("b1", null, "203.0.113.7", CancellationToken.None));
        var refusedSecond = await Assert.ThrowsAsync<HashingQueueFullException>(() => executor.VerifyAsync("b2", null, "203.0.113.7", CancellationToken.None));

        Assert.Equal(TimeSpan.FromSeconds(3), refused.ExpectedWait);
        Assert.Equal(TimeSpan.FromSeconds(3), refusedSecond.ExpectedWait); // one own job and two of the first address's
        Assert.Equal(4, executor.Waiting);
        await hash.RunOneByOneAsync(admitted.Count - 1);
        Assert.All(await Task.WhenAll(admitted), result => Assert.Equal(PasswordVerificationResult.Failed, result));
        Assert.Equal(["a0", "a1", "b1", "a2", "a3"], hash.Started);
    }

    [Fact]
    public async Task AnIdleQueue_NeverRefuses_HoweverSlowTheHash()
    {
        using var executor = new PasswordHashingExecutor(
            Options(maxQueueWait: TimeSpan.FromMilliseconds(1)), DjangoPasswordHashFunction.Instance, hashTime: TimeSpan.FromHours(1));

        Assert.StartsWith("pbkdf2_sha256$", await executor.HashAsync("x", Client, CancellationToken.None), StringComparison.Ordinal);
    }

    public static TheoryData<string, string?, int> StoredHashes
    {
        get
        {
            var identityV3 = new PasswordHasher<object>(Microsoft.Extensions.Options.Options.Create(new PasswordHasherOptions { IterationCount = 1000 }));
            var identityV2 = new PasswordHasher<object>(Microsoft.Extensions.Options.Options.Create(new PasswordHasherOptions { CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV2 }));
            return new()
            {
                // name, stored hash, iterations the verification itself derives
                { "legacy Django hash", DjangoPasswordHasher.Hash("correct horse", 1000), 1000 },
                { "current Django hash", DjangoPasswordHasher.Hash("correct horse", 5000), 5000 },
                { "stronger Django hash", DjangoPasswordHasher.Hash("correct horse", 8000), 8000 },
                { "ASP.NET Identity v3", identityV3.HashPassword(new object(), "correct horse"), 1000 },
                { "ASP.NET Identity v2", identityV2.HashPassword(new object(), "correct horse"), 1000 },
                { "unknown account", null, 0 },
                { "social-only account", DjangoPasswordHasher.UnusablePassword(), 0 },
                { "malformed", "pbkdf2_sha256$1000$salt$not-base64", 0 },
                { "absurd iteration count", "pbkdf2_sha256$60000000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=", 0 },
            };
        }
    }

    [Theory, MemberData(nameof(StoredHashes))]
    public async Task VerifyAsync_CostsAtLeastTheConfiguredIterations_WhateverTheStoredHash(string name, string? stored, int derived)
    {
        // Counted, not timed: the verification's own derivation plus the padding the executor asks for
        // is the configured 5,000 iterations (or more, for a stronger stored hash), never less.
        var hash = new RecordingHashFunction();
        using var executor = new PasswordHashingExecutor(Options(iterations: 5000, maxConcurrentHashes: 1), hash);

        foreach (var password in new[] { "correct horse", "wrong horse" })
        {
            hash.Reset();
            await executor.VerifyAsync(password, stored, Client, CancellationToken.None);

            Assert.True(derived == hash.Derived, $"{name}: the verification derived {hash.Derived}, expected {derived}");
            Assert.Equal(Math.Max(5000, derived), hash.Derived + hash.Spent);
        }
    }

    /// <summary>Records the cost of each verification and the padding asked for, doing the real work.</summary>
    private sealed class RecordingHashFunction : IPasswordHashFunction
    {
        public int Derived { get; private set; }
        public int Spent { get; private set; }

        public void Reset() => (Derived, Spent) = (0, 0);

        public string Hash(string password, int iterations) => DjangoPasswordHashFunction.Instance.Hash(password, iterations);

        public (PasswordVerificationResult Result, int Cost) Verify(string password, string? encoded, int currentIterations)
        {
            var outcome = DjangoPasswordHashFunction.Instance.Verify(password, encoded, currentIterations);
            Derived += outcome.Cost;
            return outcome;
        }

        public void Spend(string password, int iterations)
        {
            Spent += iterations;
            DjangoPasswordHashFunction.Instance.Spend(password, iterations);
        }
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
