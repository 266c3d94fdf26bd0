using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Gatehouse.Security.Passwords;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Account;

/// <summary>Finding users by email or username, and making usernames the way allauth does.</summary>
public sealed partial class UserDirectory(GatehouseDbContext db)
{
    /// <summary>
    /// The account an address logs in to (password, code, reset): a verified address, or the primary
    /// address of an account not verified yet. An unverified secondary address is only a claim by whoever
    /// added it; letting it lead to that account would let anyone plant a victim's address in their own
    /// account and wait for the victim to log in there.
    /// </summary>
    public Task<User?> FindForLoginAsync(string email, CancellationToken ct)
    {
        var normalized = EmailValidation.Normalize(email);
        return db.Users.Include(u => u.EmailAddresses)
            .FirstOrDefaultAsync(u => u.EmailAddresses.Any(e => e.EmailNormalized == normalized && (e.Verified || e.IsPrimary)), ct);
    }

    /// <summary>
    /// Removes an unproven claim on <paramref name="normalizedEmail"/> (an unverified, non-primary address
    /// of some account) so its real owner can sign up with it. Returns whether one was removed.
    /// </summary>
    public async Task<bool> ReleaseUnverifiedClaimAsync(string normalizedEmail, CancellationToken ct) =>
        await db.EmailAddresses
            .Where(e => e.EmailNormalized == normalizedEmail && !e.Verified && !e.IsPrimary)
            .ExecuteDeleteAsync(ct) > 0;

    public Task<User?> FindByUsernameAsync(string username, CancellationToken ct)
    {
        var normalized = username.Trim().ToLowerInvariant();
        return db.Users.Include(u => u.EmailAddresses).FirstOrDefaultAsync(u => u.UsernameNormalized == normalized, ct);
    }

    public Task<User?> FindByIdAsync(long id, CancellationToken ct) =>
        db.Users.Include(u => u.EmailAddresses).FirstOrDefaultAsync(u => u.Id == id, ct);

    public Task<bool> EmailExistsAsync(string normalizedEmail, CancellationToken ct) =>
        db.EmailAddresses.AnyAsync(e => e.EmailNormalized == normalizedEmail, ct);

    public Task<bool> UsernameExistsAsync(string username, CancellationToken ct)
    {
        var normalized = username.ToLowerInvariant();
        return db.Users.AnyAsync(u => u.UsernameNormalized == normalized, ct);
    }

    public static SessionUser ToSessionUser(User user) => new(
        user.Id,
        user.Username,
        user.EmailAddresses.FirstOrDefault(e => e.IsPrimary)?.Email,
        DjangoPasswordHasher.IsUsable(user.PasswordHash))
    {
        EmailVerified = user.EmailAddresses.FirstOrDefault(e => e.IsPrimary)?.Verified == true,
        IsStaff = user.IsStaff,
    };

    /// <summary>
    /// allauth's generate_unique_username: the email's local part reduced to [\w.@+-], lower-cased; on a
    /// collision a random suffix of up to six characters.
    /// </summary>
    /// <param name="afterCollision">
    /// The previous pick lost a race with a concurrent signup on the same base: skip the bare base and the
    /// short suffixes (ten one-digit choices make concurrent racers collide again and again).
    /// </param>
    public async Task<string> GenerateUsernameAsync(string? email, CancellationToken ct, bool afterCollision = false)
    {
        var baseName = Candidate(email) ?? "user";
        if (!afterCollision && !await UsernameExistsAsync(baseName, ct))
        {
            return baseName;
        }
        for (var length = afterCollision ? 4 : 1; length <= 6; length++)
        {
            for (var tries = 0; tries < 3; tries++)
            {
                var suffix = RandomSuffix(length);
                var name = (baseName + suffix) is { Length: > 150 } long_ ? long_[..150] : baseName + suffix;
                if (!await UsernameExistsAsync(name, ct))
                {
                    return name;
                }
            }
        }
        return baseName + RandomNumberGenerator.GetString("0123456789abcdefghijklmnopqrstuvwxyz", 12);
    }

    private static string? Candidate(string? email)
    {
        if (string.IsNullOrWhiteSpace(email))
        {
            return null;
        }
        var ascii = new string(email.Normalize(NormalizationForm.FormKD).Where(c => c < 128).ToArray());
        var cleaned = NotUsernameChar().Replace(ascii, "").ToLowerInvariant();
        var local = cleaned.Split('@')[0].Trim();
        local = Whitespace().Replace(local, "_");
        return local.Length is > 0 and <= 150 && IsValidUsername(local) ? local : null;
    }

    private static string RandomSuffix(int length)
    {
        // allauth: the first four characters are digits, the rest letters.
        var builder = new StringBuilder();
        for (var i = 0; i < length; i++)
        {
            builder.Append(i < 4
                ? RandomNumberGenerator.GetInt32(10).ToString(CultureInfo.InvariantCulture)
                : (char)('a' + RandomNumberGenerator.GetInt32(26)));
        }
        return builder.ToString();
    }

    /// <summary>Django's UnicodeUsernameValidator: letters, digits and @ . + - _.</summary>
    public static bool IsValidUsername(string username) => UsernameChars().IsMatch(username);

    [GeneratedRegex(@"^[\w.@+-]+\z")]
    private static partial Regex UsernameChars();

    [GeneratedRegex(@"[^\w\s@+.-]")]
    private static partial Regex NotUsernameChar();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
