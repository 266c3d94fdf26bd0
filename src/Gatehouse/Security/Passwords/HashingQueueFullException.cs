namespace Gatehouse.Security.Passwords;

/// <summary>
/// The hashing queue would keep this caller waiting longer than <see cref="PasswordOptions.MaxQueueWait"/>:
/// load shedding, not a failure of the request. Flows let it pass; the API's fallback middleware answers
/// it in one place with 503, <c>Retry-After</c> and the envelope (<c>server_busy</c>).
/// </summary>
public sealed class HashingQueueFullException : Exception
{
    public HashingQueueFullException(TimeSpan expectedWait)
        : base("The password hashing queue is full; try again later.")
    {
        ExpectedWait = expectedWait;
    }

    /// <summary>How long the refused job would have waited: a fair hint for Retry-After.</summary>
    public TimeSpan ExpectedWait { get; }
}
