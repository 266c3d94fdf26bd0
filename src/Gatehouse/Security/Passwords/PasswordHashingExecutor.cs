using System.Diagnostics;
using Gatehouse.RateLimiting;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Gatehouse.Security.Passwords;

/// <summary>
/// Runs password hashing on a fixed set of dedicated threads. Synchronous PBKDF2 on request threads
/// starved ASP.NET Core Identity's thread pool during a login storm: every pool thread sat in a
/// one-second hash while cheap requests (session checks, static config) queued behind them. Here at
/// most N hashes run at once, and never on a thread-pool thread; waiting callers hold no thread at all.
/// <para>
/// The queue is fair and bounded. Fair: every client address (an IPv6 client by its /64, as the rate
/// limiter counts it) has its own queue, and the workers take one job from each in turn, so one
/// address's burst cannot push anyone else back (first come, first served let 16 attacker connections
/// hold a legitimate login for up to 7 s). Bounded: a job whose expected wait (the jobs that round robin
/// puts ahead of it x the measured time of one hash / the number of workers) would exceed
/// <see cref="PasswordOptions.MaxQueueWait"/> is refused with <see cref="HashingQueueFullException"/>,
/// which the API answers with 503 and Retry-After. Nothing stops an attacker who rotates through many
/// /64s from taking many fair shares; the bound then sheds load quickly instead of making everyone wait.
/// </para>
/// </summary>
public sealed class PasswordHashingExecutor : IDisposable
{
    // Weight of the newest measured hash in the running estimate: about the last ten hashes count.
    private const double Smoothing = 0.2;

    // Guards everything below it. A plain monitor (not System.Threading.Lock): idle workers wait on it.
    private readonly object _gate = new();
    private readonly Dictionary<string, ClientQueue> _clients = new(StringComparer.Ordinal);
    // Clients with waiting jobs, in turn order: a worker serves the first, which then goes to the back.
    private readonly LinkedList<ClientQueue> _turns = new();
    private int _waiting;
    private double _hashSeconds;
    private bool _disposed;

    private readonly Thread[] _workers;
    private readonly int _iterations;
    private readonly TimeSpan _maxQueueWait;
    private readonly bool _measure;
    private readonly IPasswordHashFunction _hash;
    private readonly Action<Action>? _aroundJob;

    public PasswordHashingExecutor(IOptions<PasswordOptions> options)
        : this(options, DjangoPasswordHashFunction.Instance)
    {
    }

    /// <param name="aroundJob">Test seam: wraps every job on its worker thread, so a test can count
    /// how many run at once and on which kind of thread. Null in production.</param>
    internal PasswordHashingExecutor(IOptions<PasswordOptions> options, Action<Action>? aroundJob)
        : this(options, DjangoPasswordHashFunction.Instance, aroundJob)
    {
    }

    /// <param name="hash">Test seam: the work itself (e.g. a hash that blocks until the test releases it).</param>
    /// <param name="aroundJob">Test seam, see above.</param>
    /// <param name="hashTime">Test seam: the time of one hash that the queue bound assumes, instead of
    /// measuring it, so a test knows exactly which job is refused.</param>
    internal PasswordHashingExecutor(
        IOptions<PasswordOptions> options, IPasswordHashFunction hash, Action<Action>? aroundJob = null, TimeSpan? hashTime = null)
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
        if (value.MaxQueueWait <= TimeSpan.Zero)
        {
            throw new InvalidOperationException(
                $"Gatehouse:Passwords:MaxQueueWait is {value.MaxQueueWait}; set it to a positive time such as 00:00:02.");
        }

        _iterations = value.Iterations;
        _maxQueueWait = value.MaxQueueWait;
        _hash = hash;
        _aroundJob = aroundJob;
        _measure = hashTime is null;
        _hashSeconds = hashTime?.TotalSeconds ?? Calibrate(_iterations);

        int count = value.MaxConcurrentHashes > 0
            ? value.MaxConcurrentHashes
            : Math.Max(1, Environment.ProcessorCount - 1);
        _workers = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            // Background threads: a hash in progress must not keep the process alive at shutdown.
            _workers[i] = new Thread(Work)
            {
                IsBackground = true,
                Name = $"gatehouse-password-hash-{i + 1}",
            };
            _workers[i].Start();
        }
    }

    /// <summary>How many hashes can run at once.</summary>
    public int Concurrency => _workers.Length;

    /// <summary>Jobs queued and not yet started (for tests and diagnostics).</summary>
    internal int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _waiting;
            }
        }
    }

    /// <summary>Hashes a new password at the configured cost.</summary>
    /// <param name="client">The caller's address (the resolved client IP): whose turn the job takes.</param>
    /// <exception cref="HashingQueueFullException">(as the task's exception) the queue is too long for this client.</exception>
    public Task<string> HashAsync(string password, string client, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(client);
        int iterations = _iterations;
        IPasswordHashFunction hash = _hash;
        return Enqueue(client, () => hash.Hash(password, iterations), ct);
    }

    /// <summary>
    /// Verifies a password against a stored hash, always at (at least) today's cost: a cheaper
    /// verification (a Django hash with fewer iterations, an ASP.NET Identity hash, a malformed value)
    /// and no hash at all (unknown account, social-only account) are padded with a throw-away
    /// derivation of the difference. An attacker timing the login endpoint learns neither which
    /// addresses have accounts nor which accounts still have legacy hashes.
    /// </summary>
    /// <param name="client">The caller's address (the resolved client IP): whose turn the job takes.</param>
    /// <exception cref="HashingQueueFullException">(as the task's exception) the queue is too long for this client.</exception>
    public Task<PasswordVerificationResult> VerifyAsync(string password, string? encoded, string client, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(client);
        int iterations = _iterations;
        IPasswordHashFunction hash = _hash;
        return Enqueue(
            client,
            () =>
            {
                (PasswordVerificationResult result, int cost) = hash.Verify(password, encoded, iterations);
                if (cost < iterations)
                {
                    hash.Spend(password, iterations - cost);
                }
                return result;
            },
            ct);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            Monitor.PulseAll(_gate);
        }

        foreach (Thread worker in _workers)
        {
            // A hash already running finishes (about a second at Django's cost); a worker stuck
            // longer is a background thread and will not hold the process.
            worker.Join(TimeSpan.FromSeconds(10));
        }

        // Jobs nobody will run: release their callers instead of leaving them waiting forever.
        List<HashingJob> abandoned;
        lock (_gate)
        {
            abandoned = _turns.SelectMany(queue => queue.Jobs).ToList();
            foreach (HashingJob job in abandoned)
            {
                job.Node = null; // a cancellation arriving later finds nothing to withdraw
            }
            _turns.Clear();
            _clients.Clear();
            _waiting = 0;
        }
        foreach (HashingJob job in abandoned)
        {
            job.Abandon();
        }
    }

    private Task<T> Enqueue<T>(string client, Func<T> work, CancellationToken ct)
    {
        if (ct.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(ct);
        }

        var job = new HashingJob<T>(work);
        // Watched before it is queued, so the registration exists by the time a worker disposes it.
        job.Watch(this, ct);
        if (job.Task.IsCompleted)
        {
            return job.Task; // cancelled since the check above
        }

        string bucket = ClientBucket.Of(client);
        TimeSpan refusedWait;
        lock (_gate)
        {
            if (_disposed)
            {
                refusedWait = Timeout.InfiniteTimeSpan;
            }
            else
            {
                _clients.TryGetValue(bucket, out ClientQueue? queue);
                refusedWait = ExpectedWait(queue);
                if (refusedWait <= _maxQueueWait)
                {
                    if (queue is null)
                    {
                        queue = new ClientQueue(bucket);
                        _clients.Add(bucket, queue);
                        _turns.AddLast(queue.Turn);
                    }
                    job.Queue = queue;
                    job.Node = queue.Jobs.AddLast(job);
                    _waiting++;
                    Monitor.Pulse(_gate);
                    return job.Task;
                }
            }
        }

        // Refused. Outside the gate: disposing the registration waits for a cancellation callback
        // that may be running, and that callback takes the gate.
        job.Forget();
        ObjectDisposedException.ThrowIf(refusedWait == Timeout.InfiniteTimeSpan, this);
        return Task.FromException<T>(new HashingQueueFullException(refusedWait));
    }

    /// <summary>
    /// How long a new job of <paramref name="own"/>'s client would wait before a worker takes it. With
    /// round robin it is its client's p-th waiting job, so every other client with waiting jobs gets up
    /// to p turns before it, and its own client p - 1. (Hashes already running are not counted.)
    /// </summary>
    private TimeSpan ExpectedWait(ClientQueue? own)
    {
        int position = (own?.Jobs.Count ?? 0) + 1;
        long ahead = position - 1;
        foreach (ClientQueue other in _turns)
        {
            if (!ReferenceEquals(other, own))
            {
                ahead += Math.Min(other.Jobs.Count, position);
            }
        }
        return TimeSpan.FromSeconds(ahead * _hashSeconds / _workers.Length);
    }

    private void Work()
    {
        HashingThreadPriority.Lower();
        while (true)
        {
            HashingJob job;
            lock (_gate)
            {
                // Blocking is deliberate: this is one of our own threads, not the pool's.
                while (!_disposed && _turns.First is null)
                {
                    Monitor.Wait(_gate);
                }
                if (_disposed)
                {
                    return; // Dispose abandons whatever is still queued
                }
                job = TakeNextTurn();
            }

            long started = Stopwatch.GetTimestamp();
            if (job.Run(_aroundJob) && _measure)
            {
                double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                lock (_gate)
                {
                    _hashSeconds += (seconds - _hashSeconds) * Smoothing;
                }
            }
        }
    }

    // Caller holds _gate and has checked that a client is waiting.
    private HashingJob TakeNextTurn()
    {
        ClientQueue queue = _turns.First!.Value;
        HashingJob job = queue.Jobs.First!.Value;
        queue.Jobs.RemoveFirst();
        job.Node = null;
        _waiting--;
        _turns.RemoveFirst();
        if (queue.Jobs.Count > 0)
        {
            _turns.AddLast(queue.Turn);
        }
        else
        {
            _clients.Remove(queue.Bucket);
        }
        return job;
    }

    /// <summary>A cancelled job that no worker has taken leaves the queue, so it costs no CPU and no one's turn.</summary>
    private void Withdraw(HashingJob job)
    {
        lock (_gate)
        {
            if (job.Node is null || job.Queue is null)
            {
                return; // already taken by a worker, or never queued
            }
            ClientQueue queue = job.Queue;
            queue.Jobs.Remove(job.Node);
            job.Node = null;
            _waiting--;
            if (queue.Jobs.Count == 0)
            {
                _turns.Remove(queue.Turn);
                _clients.Remove(queue.Bucket);
            }
        }
    }

    /// <summary>
    /// The first estimate of one hash's time, before any job has been measured: a short PBKDF2 run
    /// scaled to the configured count (the cost is linear in it). Jobs then refine it as they finish.
    /// </summary>
    private static double Calibrate(int iterations)
    {
        const int Sample = 10_000;
        int sample = Math.Min(iterations, Sample);
        DjangoPasswordHasher.Spend("calibration", 1); // the first call loads the crypto provider
        long started = Stopwatch.GetTimestamp();
        DjangoPasswordHasher.Spend("calibration", sample);
        return Stopwatch.GetElapsedTime(started).TotalSeconds * iterations / sample;
    }

    private sealed class ClientQueue
    {
        public ClientQueue(string bucket)
        {
            Bucket = bucket;
            Turn = new LinkedListNode<ClientQueue>(this);
        }

        public string Bucket { get; }
        public LinkedList<HashingJob> Jobs { get; } = new();
        /// <summary>This client's node in the turn list, moved rather than reallocated.</summary>
        public LinkedListNode<ClientQueue> Turn { get; }
    }

    private abstract class HashingJob
    {
        // Both guarded by the executor's gate; Node is null once a worker has taken the job.
        public ClientQueue? Queue { get; set; }
        public LinkedListNode<HashingJob>? Node { get; set; }

        /// <summary>Runs the work on the calling worker thread; false if it was skipped. Never throws.</summary>
        public abstract bool Run(Action<Action>? aroundJob);

        public abstract void Abandon();
    }

    private sealed class HashingJob<T>(Func<T> work) : HashingJob
    {
        // RunContinuationsAsynchronously: the caller's continuation (the rest of the request) must go
        // back to the thread pool, not run on, and occupy, a hashing thread.
        private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private CancellationTokenRegistration _registration;

        public Task<T> Task => _completion.Task;

        /// <summary>
        /// A caller that gives up (request aborted) is released at once; a job not yet taken leaves the
        /// queue, and one already running finishes unobserved.
        /// </summary>
        public void Watch(PasswordHashingExecutor executor, CancellationToken ct) =>
            _registration = ct.Register(
                static state =>
                {
                    var (job, executor, ct) = ((HashingJob<T>, PasswordHashingExecutor, CancellationToken))state!;
                    executor.Withdraw(job);
                    job._completion.TrySetCanceled(ct);
                },
                (this, executor, ct));

        /// <summary>The job was refused before it was queued.</summary>
        public void Forget() => _registration.Dispose();

        public override bool Run(Action<Action>? aroundJob)
        {
            try
            {
                if (_completion.Task.IsCompleted)
                {
                    return false; // cancelled between being taken and now
                }

                T result = default!;
                if (aroundJob is null)
                {
                    result = work();
                }
                else
                {
                    aroundJob(() => result = work());
                }
                _completion.TrySetResult(result);
                return true;
            }
            catch (Exception ex)
            {
                // Never let an exception escape onto a worker thread: it would end the process.
                _completion.TrySetException(ex);
                return false;
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
    }
}
