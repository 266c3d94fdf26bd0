namespace Gatehouse.Security.Passwords;

/// <summary>
/// Password hashing and password policy, bound from <c>Gatehouse:Passwords</c>. Plain settable
/// properties so configuration binding can fill them.
/// </summary>
public sealed class PasswordOptions
{
    /// <summary>
    /// PBKDF2-HMAC-SHA256 iterations for new hashes. 1,000,000 is Django 5.2's default for
    /// pbkdf2_sha256, so hashes move between Gatehouse and a Django deployment without a rehash.
    /// </summary>
    public int Iterations { get; set; } = 1_000_000;

    /// <summary>
    /// Hashes that may run at once. 0 means max(1, processor count - 1): one core is always left for
    /// cheap requests, so a login storm cannot make the whole server unresponsive.
    /// </summary>
    public int MaxConcurrentHashes { get; set; }

    /// <summary>
    /// The longest a password hash may be expected to wait in the hashing queue (its place in the fair,
    /// per-client round robin x the measured time of one hash / the hashing threads). A request that
    /// would wait longer is answered at once with 503 and Retry-After: under a login storm, a quick
    /// "try again" beats a login that hangs for many seconds, and the queue cannot grow without end.
    /// </summary>
    public TimeSpan MaxQueueWait { get; set; } = TimeSpan.FromSeconds(2);

    public int MinLength { get; set; } = 8;

    public bool RejectCommonPasswords { get; set; } = true;

    public bool RejectNumericPasswords { get; set; } = true;

    public bool RejectSimilarToUserAttributes { get; set; } = true;

    /// <summary>Django's UserAttributeSimilarityValidator default; Django refuses values below 0.1.</summary>
    public double MaxSimilarity { get; set; } = 0.7;

    /// <summary>Domains blocked in addition to the built-in list (subdomains are blocked too).</summary>
    public string[] DisposableEmailDomains { get; set; } = [];

    public bool BlockDisposableEmailDomains { get; set; } = true;
}
