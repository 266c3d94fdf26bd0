using Gatehouse.Security;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Storage;

/// <summary>
/// Keys for mail links (email verification, password reset): random, stored only as SHA-256, single
/// use, expiring. The one place that issues and looks them up.
/// </summary>
public sealed class MailKeys(GatehouseDbContext db, TimeProvider time)
{
    /// <summary>Adds a key to the unit of work and returns the key itself, which only the mail will carry.</summary>
    public string Issue(string purpose, User user, string normalizedEmail, TimeSpan lifetime)
    {
        var key = Secrets.NewUrlKey();
        var now = time.GetUtcNow().UtcDateTime;
        db.VerificationKeys.Add(new VerificationKey
        {
            Purpose = purpose,
            KeyHash = Secrets.Sha256(key),
            UserId = user.Id,
            User = user.Id == 0 ? user : null, // a user created in this same unit of work
            Email = normalizedEmail,
            CreatedAt = now,
            ExpiresAt = now + lifetime,
        });
        return key;
    }

    /// <summary>The live (unused, unexpired) key record for <paramref name="key"/>, or null.</summary>
    public Task<VerificationKey?> FindLiveAsync(string purpose, string? key, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(key) || key.Length > 256)
        {
            return Task.FromResult<VerificationKey?>(null);
        }
        var hash = Secrets.Sha256(key);
        var now = time.GetUtcNow().UtcDateTime;
        return db.VerificationKeys.AsNoTracking()
            .FirstOrDefaultAsync(k => k.KeyHash == hash && k.Purpose == purpose && k.ConsumedAt == null && k.ExpiresAt > now, ct);
    }

    /// <summary>Marks one key used, if nobody did yet; false when a concurrent request was first. Runs now.</summary>
    public async Task<bool> ConsumeAsync(long id, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return await db.VerificationKeys.Where(k => k.Id == id && k.ConsumedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.ConsumedAt, now), ct) == 1;
    }

    /// <summary>Marks every live key of this purpose for the user (and address, if given) used; runs now.</summary>
    public Task<int> ConsumeAllAsync(string purpose, long userId, string? normalizedEmail, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return db.VerificationKeys
            .Where(k => k.UserId == userId && k.Purpose == purpose && k.ConsumedAt == null && (normalizedEmail == null || k.Email == normalizedEmail))
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.ConsumedAt, now), ct);
    }
}
