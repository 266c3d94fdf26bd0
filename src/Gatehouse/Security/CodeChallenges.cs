using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Security;

/// <summary>What checking a typed code against its challenge found.</summary>
public enum CodeCheck
{
    /// <summary>The code matches (and, when asked to, the challenge was consumed by this request).</summary>
    Accepted,
    /// <summary>Wrong code; attempts are left.</summary>
    Incorrect,
    /// <summary>Wrong code and no attempts left, or the challenge is over (expired, exhausted): the flow ends.</summary>
    Exhausted,
    /// <summary>The right code, but a concurrent request consumed the challenge first (a double submit).</summary>
    AlreadyUsed,
}

/// <summary>
/// The one implementation of a mailed code (login by code, email verification by code, password reset by
/// code): issue, resend, check with an attempt limit, consume once. Attempts are counted in the database
/// with conditional UPDATEs, so fifty parallel guesses against a limit of three get three answers, not the
/// seventeen that a counter in the session's last-write-wins JSON allowed. TOTP and recovery codes
/// count their attempts on a challenge of their own (<see cref="TakeAttemptAsync"/>).
/// </summary>
public sealed class CodeChallenges(GatehouseDbContext db, CodeHasher hasher, TimeProvider time)
{
    /// <summary>
    /// Adds a challenge to the unit of work and returns its key for the pending flow. A null
    /// <paramref name="code"/> makes a challenge nothing can pass (an unknown address looks the same).
    /// </summary>
    public string Issue(string purpose, string? code, DateTime expiresAt)
    {
        var key = Secrets.NewUrlKey();
        db.CodeChallenges.Add(new CodeChallenge
        {
            Key = key,
            Purpose = purpose,
            CodeHash = code is null ? null : hasher.Hash(code),
            CreatedAt = time.GetUtcNow().UtcDateTime,
            ExpiresAt = expiresAt,
        });
        return key;
    }

    /// <summary>
    /// A resend: a new code for the same challenge. Failed attempts and the expiry are kept (allauth keeps
    /// both), so resending buys an attacker neither guesses nor time. Runs now.
    /// </summary>
    public Task ReplaceCodeAsync(string key, string? code, CancellationToken ct)
    {
        var hash = code is null ? null : hasher.Hash(code);
        return db.CodeChallenges.Where(c => c.Key == key && c.ConsumedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.CodeHash, hash), ct);
    }

    /// <summary>
    /// Checks <paramref name="code"/> (fixed-time HMAC comparison). A wrong code takes one attempt with a
    /// conditional UPDATE before it is answered; a right one is accepted only by a conditional UPDATE that
    /// also requires attempts to be left, so neither parallel guesses nor a right code after the limit get
    /// through. With <paramref name="consume"/>, accepting also uses the challenge up, and of several requests
    /// racing with the right code one wins and the others get <see cref="CodeCheck.AlreadyUsed"/>. A right code
    /// costs no attempt: a flow that asks for it twice (a password reset checks it on GET and on POST) does not
    /// run out because of its own correct answers. A challenge issued for another <paramref name="purpose"/> is
    /// treated as absent: a login code can never pass as a reset code, whatever a pending flow's state says.
    /// </summary>
    public async Task<CodeCheck> CheckAsync(string purpose, string? key, string code, int maxAttempts, bool consume, CancellationToken ct)
    {
        if (key is null)
        {
            return CodeCheck.Exhausted;
        }
        var now = time.GetUtcNow().UtcDateTime;
        var row = await db.CodeChallenges.AsNoTracking().Where(c => c.Key == key && c.Purpose == purpose)
            .Select(c => new { c.CodeHash, c.Attempts, c.ConsumedAt, c.ExpiresAt }).FirstOrDefaultAsync(ct);
        if (row is null)
        {
            return CodeCheck.Exhausted;
        }
        var live = db.CodeChallenges.Where(c => c.Key == key && c.Purpose == purpose && c.ConsumedAt == null && c.ExpiresAt > now && c.Attempts < maxAttempts);
        if (hasher.Matches(code, row.CodeHash))
        {
            var accepted = consume
                ? await live.ExecuteUpdateAsync(s => s.SetProperty(c => c.ConsumedAt, now), ct) == 1
                : row.ConsumedAt is null && row.ExpiresAt > now && row.Attempts < maxAttempts;
            if (accepted)
            {
                return CodeCheck.Accepted;
            }
            var consumed = await db.CodeChallenges.AnyAsync(c => c.Key == key && c.ConsumedAt != null, ct);
            return consumed ? CodeCheck.AlreadyUsed : CodeCheck.Exhausted;
        }
        if (await live.ExecuteUpdateAsync(s => s.SetProperty(c => c.Attempts, c => c.Attempts + 1), ct) == 0)
        {
            return CodeCheck.Exhausted;
        }
        // Null when the maintenance pass deleted the row (expired) in between: over, like any exhausted one.
        var attempts = await db.CodeChallenges.Where(c => c.Key == key).Select(c => (int?)c.Attempts).FirstOrDefaultAsync(ct);
        return attempts is null || attempts >= maxAttempts ? CodeCheck.Exhausted : CodeCheck.Incorrect;
    }

    /// <summary>
    /// Takes one attempt before a code that this challenge does not hold is checked elsewhere (a TOTP or
    /// recovery code against a pending mfa_authenticate): one conditional UPDATE, so of fifty parallel guesses
    /// against a limit of five only five are evaluated at all. False when none is left (or the challenge is
    /// over): the caller must not evaluate the code. Runs now.
    /// </summary>
    public async Task<bool> TakeAttemptAsync(string purpose, string? key, int maxAttempts, CancellationToken ct)
    {
        if (key is null)
        {
            return false;
        }
        var now = time.GetUtcNow().UtcDateTime;
        return await db.CodeChallenges
            .Where(c => c.Key == key && c.Purpose == purpose && c.ConsumedAt == null && c.ExpiresAt > now && c.Attempts < maxAttempts)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Attempts, c => c.Attempts + 1), ct) == 1;
    }

    /// <summary>Uses the challenge up; false when another request already did. Runs now.</summary>
    public async Task<bool> ConsumeAsync(string purpose, string key, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return await db.CodeChallenges.Where(c => c.Key == key && c.Purpose == purpose && c.ConsumedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.ConsumedAt, now), ct) == 1;
    }
}
