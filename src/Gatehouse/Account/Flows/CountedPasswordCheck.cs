using Gatehouse.RateLimiting;
using Gatehouse.Security.Passwords;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Account.Flows;

/// <summary>A password check that was counted against <c>login_failed</c> before it ran (as allauth counts it).</summary>
internal static class CountedPasswordCheck
{
    /// <summary>
    /// Verifies <paramref name="password"/>; when the hashing queue sheds the request (503), the failed-login count
    /// taken for it is given back first: load shedding is not a guess, and counting it would let a login storm lock
    /// out the accounts it is aimed at.
    /// </summary>
    public static async Task<PasswordVerificationResult> VerifyCountedAsync(
        this PasswordHashingExecutor hasher, RateLimiter limiter, RateLimitSubject counted,
        string password, string? encoded, string client, CancellationToken ct)
    {
        try
        {
            return await hasher.VerifyAsync(password, encoded, client, ct);
        }
        catch (HashingQueueFullException)
        {
            await limiter.UndoHitAsync("login_failed", counted, ct);
            throw;
        }
    }
}
