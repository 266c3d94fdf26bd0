using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Configuration;
using Gatehouse.Security;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Mfa.RecoveryCodes;

/// <summary>
/// A user's recovery codes (allauth's mfa/recovery_codes): allauth's count and digits, one row per code with
/// only its HMAC. allauth derives its codes from a seed kept (encrypted) in the database so it can show the
/// unused ones again; we keep no way to recompute them, so a database copy holds no usable code, and the
/// codes are shown only when they are generated (docs/design.md, "Where we differ").
/// </summary>
public sealed class RecoveryCodeSet(
    GatehouseDbContext db, SecretBox box, IOptions<GatehouseOptions> gatehouse, IOptions<MfaOptions> options, TimeProvider time)
{
    private const string UnshownPurpose = "mfa.recovery_codes.unshown";
    private readonly byte[] _key = gatehouse.Value.SecretKeyBytes;
    private readonly MfaOptions _options = options.Value;

    /// <summary>
    /// Adds a new set for <paramref name="userId"/> to the unit of work (the caller removed any old one) and
    /// returns the codes in clear, for the one response that shows them.
    /// </summary>
    public List<string> Generate(long userId)
    {
        var authenticator = db.Authenticators.Add(new Authenticator
        {
            UserId = userId,
            Type = MfaTypes.RecoveryCodes,
            Data = "{}",
            CreatedAt = time.GetUtcNow().UtcDateTime,
        }).Entity;
        var limit = (int)Math.Pow(10, _options.RecoveryCodeDigits);
        var codes = new List<string>(_options.RecoveryCodeCount);
        while (codes.Count < _options.RecoveryCodeCount)
        {
            var code = RandomNumberGenerator.GetInt32(limit).ToString(CultureInfo.InvariantCulture).PadLeft(_options.RecoveryCodeDigits, '0');
            if (!codes.Contains(code, StringComparer.Ordinal))
            {
                codes.Add(code);
            }
        }
        foreach (var code in codes)
        {
            db.RecoveryCodes.Add(new RecoveryCode { Authenticator = authenticator, CodeHash = Hash(userId, code) });
        }
        return codes;
    }

    /// <summary>
    /// Uses <paramref name="code"/> if it is an unused code of this set: one conditional UPDATE ... WHERE used_at IS
    /// NULL, so of twenty requests racing with the same code exactly one gets it. The lookup is by HMAC (the
    /// unique index), not a comparison of secrets: timing can tell at most whether some HMAC value exists,
    /// which without the server key says nothing about any code. Runs now.
    /// </summary>
    public async Task<bool> UseAsync(Authenticator set, string code, CancellationToken ct)
    {
        var normalized = Secrets.NormalizeCode(code);
        if (normalized.Length != _options.RecoveryCodeDigits || !normalized.All(char.IsAsciiDigit))
        {
            return false;
        }
        var hash = Hash(set.UserId, normalized);
        var now = time.GetUtcNow().UtcDateTime;
        var used = await db.RecoveryCodes
            .Where(c => c.AuthenticatorId == set.Id && c.CodeHash == hash && c.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UsedAt, now), ct) == 1;
        if (used)
        {
            await db.Authenticators.Where(a => a.Id == set.Id).ExecuteUpdateAsync(s => s.SetProperty(a => a.LastUsedAt, now), ct);
        }
        return used;
    }

    /// <summary>
    /// Codes generated along with another authenticator wait, sealed and bound to the user, in the session that
    /// generated them until GET recovery-codes shows them once (allauth with MFA_RECOVERY_CODES_SHOW_ONCE).
    /// </summary>
    public string SealUnshown(IEnumerable<string> codes, long userId) => box.Seal(string.Join(',', codes), UnshownPurpose, Binding(userId));

    public List<string>? OpenUnshown(string? sealedCodes, long userId)
    {
        if (sealedCodes is null)
        {
            return null;
        }
        try
        {
            return [.. box.Open(sealedCodes, UnshownPurpose, Binding(userId)).Split(',', StringSplitOptions.RemoveEmptyEntries)];
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>Those of <paramref name="codes"/> that are still unused codes of <paramref name="set"/>.</summary>
    public async Task<List<string>> UnusedOfAsync(Authenticator set, IReadOnlyList<string> codes, CancellationToken ct)
    {
        var hashes = codes.ToDictionary(c => Hash(set.UserId, c), c => c, StringComparer.Ordinal);
        var keys = hashes.Keys.ToList();
        var unused = await db.RecoveryCodes.AsNoTracking()
            .Where(c => c.AuthenticatorId == set.Id && c.UsedAt == null && keys.Contains(c.CodeHash))
            .Select(c => c.CodeHash).ToListAsync(ct);
        return codes.Where(c => unused.Contains(Hash(set.UserId, c), StringComparer.Ordinal)).ToList();
    }

    /// <summary>(total, unused) codes of the set.</summary>
    public async Task<(int Total, int Unused)> CountsAsync(long authenticatorId, CancellationToken ct)
    {
        var codes = db.RecoveryCodes.Where(c => c.AuthenticatorId == authenticatorId);
        return (await codes.CountAsync(ct), await codes.CountAsync(c => c.UsedAt == null, ct));
    }

    /// <summary>
    /// HMAC-SHA-256 under the server key (not in the database), over the user id and the code: eight digits are
    /// too few for a plain hash, and the user id keeps one user's code from matching another's row.
    /// </summary>
    private static string Binding(long userId) => "user:" + userId.ToString(CultureInfo.InvariantCulture);

    private string Hash(long userId, string code) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(
            "recovery_code:" + userId.ToString(CultureInfo.InvariantCulture) + ":" + code)));
}
