using System.Threading.Channels;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Gatehouse.Security.Passwords;

/// <summary>
/// Runs password hashing on a fixed set of dedicated threads fed by a channel. Synchronous PBKDF2 on
/// request threads starved ASP.NET Core Identity's thread pool during a login storm: every pool thread
/// sat in a one-second hash while cheap requests (session checks, static config) queued behind them.
/// Here at most N hashes run at once, and never on a thread-pool thread; waiting callers hold no
/// thread at all.
/// </summary>
public sealed class PasswordHashingExecutor : IDisposable
{
    // Unbounded: a queued job is a few hundred bytes and its caller is an open request that the
    // rate limiter and the request timeout already bound; a bounded queue would only move the wait.
    // AllowSynchronousContinuations: the only readers are our workers blocked in WaitToReadAsync, so
    // a writer completing that wait inline merely signals the worker. Without it each wake-up would
    // need a thread-pool thread, exactly what is scarce during a storm.
    private readonly Channel<HashingJob> _queue = Channel.CreateUnbounded<HashingJob>(
        new UnboundedChannelOptions { SingleReader = false, SingleWriter = false, AllowSynchronousContinuations = true });

    private readonly CancellationTokenSource _shutdown = new();
    private readonly Thread[] _workers;
    private readonly int _iterations;
    private readonly Action<Action>? _aroundJob;
    private int _disposed;

    public PasswordHashingExecutor(IOptions<PasswordOptions> options)
        : this(options, aroundJob: null)
    {
    }

    /// <param name="aroundJob">Test seam: wraps every job on its worker thread, so a test can count
    /// how many run at once and on which kind of thread. Null in production.</param>
    internal PasswordHashingExecutor(IOptions<PasswordOptions> options, Action<Action>? aroundJob)
    {
        PasswordOptions value = options.Value;
        if (value.Iterations is <= 0 or > DjangoPasswordHasher.MaxIterations)
        {
            throw new InvalidOperationException(
                $"Gatehouse:Passwords:Iterations is {value.Iterations}; set it between 1 and {DjangoPasswordHasher.MaxIterations} (Django's default is 1000000).");
        }
        if (value.MaxConcurrentHashes < 0)
        {
            throw new InvalidOperationException(
                $"Gatehouse:Passwords:MaxConcurrentHashes is {value.MaxConcurrentHashes}; set it to 0 (processor count - 1) or a positive number of threads.");
        }

        _iterations = value.Iterations;
        _aroundJob = aroundJob;

        int count = value.MaxConcurrentHashes > 0
            ? value.MaxConcurrentHashes
            : Math.Max(1, Environment.ProcessorCount - 1);
        CancellationToken shutdown = _shutdown.Token;
        _workers = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            // Background threads: a hash in progress must not keep the process alive at shutdown.
            _workers[i] = new Thread(() => Work(shutdown))
            {
                IsBackground = true,
                Name = $"gatehouse-password-hash-{i + 1}",
            };
            _workers[i].Start();
        }
    }

    /// <summary>How many hashes can run at once.</summary>
    public int Concurrency => _workers.Length;

    /// <summary>Hashes a new password at the configured cost.</summary>
    public Task<string> HashAsync(string password, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(password);
        int iterations = _iterations;
        return Enqueue(() => DjangoPasswordHasher.Hash(password, iterations), ct);
    }

    /// <summary>
    /// Verifies a password against a stored hash. With no usable hash (unknown account, or a
    /// social-only account) it still pays for one full hash at today's cost before failing: an
    /// attacker timing the login endpoint must not learn which addresses have accounts.
    /// </summary>
    public Task<PasswordVerificationResult> VerifyAsync(string password, string? encoded, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(password);
        int iterations = _iterations;
        if (!DjangoPasswordHasher.IsUsable(encoded))
        {
            return Enqueue(
                () =>
                {
                    _ = DjangoPasswordHasher.Hash(password, iterations);
                    return PasswordVerificationResult.Failed;
                },
                ct);
        }

        return Enqueue(() => DjangoPasswordHasher.Verify(password, encoded!, iterations), ct);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        _shutdown.Cancel();
        foreach (Thread worker in _workers)
        {
            // A hash already running finishes (about a second at Django's cost); a worker stuck
            // longer is a background thread and will not hold the process.
            worker.Join(TimeSpan.FromSeconds(10));
        }

        // Jobs nobody will run: release their callers instead of leaving them waiting forever.
        while (_queue.Reader.TryRead(out HashingJob? job))
        {
            job.Abandon();
        }

        _shutdown.Dispose();
    }

    private Task<T> Enqueue<T>(Func<T> work, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (ct.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(ct);
        }

        var job = new HashingJob<T>(work, ct);
        if (!_queue.Writer.TryWrite(job))
        {
            // Dispose completed the writer between the check above and here.
            job.Abandon();
        }

        return job.Task;
    }

    private void Work(CancellationToken shutdown)
    {
        ChannelReader<HashingJob> reader = _queue.Reader;
        HashingThreadPriority.Lower();
        try
        {
            // Blocking on the wait is deliberate: this is one of our own threads, not the pool's.
            while (reader.WaitToReadAsync(shutdown).AsTask().GetAwaiter().GetResult())
            {
                while (!shutdown.IsCancellationRequested && reader.TryRead(out HashingJob? job))
                {
                    job.Run(_aroundJob);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed: Dispose abandons whatever is still queued.
        }
    }

    private abstract class HashingJob
    {
        /// <summary>Runs the work on the calling worker thread; never throws.</summary>
        public abstract void Run(Action<Action>? aroundJob);

        public abstract void Abandon();
    }

    private sealed class HashingJob<T> : HashingJob
    {
        // RunContinuationsAsynchronously: the caller's continuation (the rest of the request) must go
        // back to the thread pool, not run on, and occupy, a hashing thread.
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Func<T> _work;
        private readonly CancellationToken _ct;
        private readonly CancellationTokenRegistration _registration;

        public HashingJob(Func<T> work, CancellationToken ct)
        {
            _work = work;
            _ct = ct;
            // A caller that gives up (request aborted) is released at once; the worker then skips
            // the job if it has not started, so abandoned logins cost no CPU.
            _registration = ct.Register(static state => ((HashingJob<T>)state!).Cancel(), this);
        }

        public Task<T> Task => _completion.Task;

        public override void Run(Action<Action>? aroundJob)
        {
            try
            {
                if (_ct.IsCancellationRequested || _completion.Task.IsCompleted)
                {
                    _completion.TrySetCanceled(_ct);
                    return;
                }

                T result = default!;
                if (aroundJob is null)
                {
                    result = _work();
                }
                else
                {
                    aroundJob(() => result = _work());
                }
                _completion.TrySetResult(result);
            }
            catch (Exception ex)
            {
                // Never let an exception escape onto a worker thread: it would end the process.
                _completion.TrySetException(ex);
            }
            finally
            {
                _registration.Dispose();
            }
        }

        public override void Abandon()
        {
            _registration.Dispose();
            _completion.TrySetException(new ObjectDisposedException(nameof(PasswordHashingExecutor)));
        }

        private void Cancel() => _completion.TrySetCanceled(_ct);
    }
}
