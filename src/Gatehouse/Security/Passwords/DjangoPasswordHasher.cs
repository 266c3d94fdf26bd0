using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Security.Passwords;

/// <summary>
/// Django's <c>pbkdf2_sha256</c> password format (django.contrib.auth.hashers.PBKDF2PasswordHasher):
/// <c>pbkdf2_sha256$&lt;iterations&gt;$&lt;salt&gt;$&lt;base64(PBKDF2-HMAC-SHA256, 32 bytes)&gt;</c>.
/// Pure and CPU-bound: call it through <see cref="PasswordHashingExecutor"/>, never on a request thread.
/// </summary>
public static class DjangoPasswordHasher
{
    public const string Algorithm = "pbkdf2_sha256";

    /// <summary>
    /// Stored hashes claiming more iterations than this never verify: a crafted or corrupted row
    /// must not be able to pin a hashing thread for minutes. Django's default is 1,000,000.
    /// </summary>
    public const int MaxIterations = 50_000_000;

    // Django's RANDOM_STRING_CHARS.
    private const string RandomStringChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    // Django's salt_entropy is 128 bits: ceil(128 / log2(62)) = 22 characters.
    private const int SaltLength = 22;

    // Django's UNUSABLE_PASSWORD_PREFIX and UNUSABLE_PASSWORD_SUFFIX_LENGTH.
    private const char UnusablePrefix = '!';
    private const int UnusableSuffixLength = 40;

    // hashlib.sha256().digest_size: Django passes dklen=None, so the key is one SHA-256 block.
    private const int KeyLength = 32;

    // ASP.NET Core Identity marks its formats with a leading byte: 0x00 v2 (PBKDF2-SHA1, 1,000
    // iterations), 0x01 v3 (PRF, iteration count and salt length in a 13-byte header).
    private const byte IdentityV2Marker = 0x00;
    private const byte IdentityV3Marker = 0x01;
    private const int IdentityV3HeaderLength = 13;
    // v2: marker, 16-byte salt, 32-byte subkey, at Identity's fixed 1,000 iterations of PBKDF2-HMAC-SHA1.
    private const int IdentityV2Length = 1 + 16 + 32;
    private const int IdentityV2Iterations = 1000;
    // Identity refuses v3 salts and subkeys shorter than 128 bits.
    private const int IdentityMinimumBytes = 128 / 8;

    private static readonly PasswordHasher<object> IdentityHasher = new();
    private static readonly object IdentityUser = new();

    /// <summary>Hashes with a fresh 22-character salt from a CSPRNG, exactly as Django's make_password.</summary>
    public static string Hash(string password, int iterations)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaxIterations);
        return Encode(password, RandomNumberGenerator.GetString(RandomStringChars, SaltLength), iterations);
    }

    /// <summary>
    /// Checks <paramref name="password"/> against a stored hash. Never throws for a bad hash: a
    /// malformed, unusable or unknown-format value is simply <see cref="PasswordVerificationResult.Failed"/>.
    /// </summary>
    public static PasswordVerificationResult Verify(string password, string encoded, int currentIterations) =>
        Verify(password, encoded, currentIterations, out _);

    /// <summary>
    /// <see cref="Verify(string, string, int)"/>, also telling what it cost: the key-derivation iterations
    /// it ran (a Django hash's count, an ASP.NET Identity hash's count), 0 when it derived nothing because
    /// the value was refused up front. <see cref="PasswordHashingExecutor"/> pads the difference to today's
    /// cost, so the time of a login does not tell a legacy (cheaper) or broken hash from a current one.
    /// </summary>
    internal static PasswordVerificationResult Verify(string password, string encoded, int currentIterations, out int cost)
    {
        cost = 0;
        if (password is null || !IsUsable(encoded))
        {
            return PasswordVerificationResult.Failed;
        }

        return encoded.StartsWith(Algorithm + "$", StringComparison.Ordinal)
            ? VerifyDjango(password, encoded, currentIterations, out cost)
            : VerifyIdentity(password, encoded, out cost);
    }

    /// <summary>
    /// Runs <paramref name="iterations"/> of PBKDF2-HMAC-SHA256 and throws the result away: the padding
    /// that makes a cheaper verification (or one refused without hashing) cost as much as a current one.
    /// </summary>
    internal static void Spend(string password, int iterations)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaxIterations);
        byte[] key = Derive(password, RandomNumberGenerator.GetString(RandomStringChars, SaltLength), iterations);
        CryptographicOperations.ZeroMemory(key);
    }

    /// <summary>
    /// Django's set_unusable_password value: <c>!</c> and 40 random characters. It never verifies, and
    /// being random it cannot be guessed from a database dump of another site.
    /// </summary>
    public static string UnusablePassword() =>
        UnusablePrefix + RandomNumberGenerator.GetString(RandomStringChars, UnusableSuffixLength);

    /// <summary>
    /// False for unusable (<c>!</c>-prefixed) hashes. Unlike Django's is_password_usable, null and empty
    /// are unusable too: for us they mean "this account has no password" (a social-only user).
    /// </summary>
    public static bool IsUsable(string? encoded) =>
        !string.IsNullOrEmpty(encoded) && encoded[0] != UnusablePrefix;

    /// <summary>Django's PBKDF2PasswordHasher.encode with a given salt; internal so tests can replay Django's vectors.</summary>
    internal static string Encode(string password, string salt, int iterations)
    {
        byte[] key = Derive(password, salt, iterations);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{Algorithm}${iterations}${salt}${Convert.ToBase64String(key)}");
    }

    private static PasswordVerificationResult VerifyDjango(string password, string encoded, int currentIterations, out int cost)
    {
        cost = 0;
        // Django: algorithm, iterations, salt, hash = encoded.split("$", 3).
        string[] parts = encoded.Split('$');
        if (parts.Length != 4
            || !TryParseIterations(parts[1], out int iterations)
            || parts[2].Length == 0)
        {
            return PasswordVerificationResult.Failed;
        }

        string salt = parts[2];
        Span<byte> expected = stackalloc byte[KeyLength];
        if (!Convert.TryFromBase64String(parts[3], expected, out int written) || written != KeyLength)
        {
            return PasswordVerificationResult.Failed;
        }

        byte[] actual = Derive(password, salt, iterations);
        cost = iterations;
        if (!CryptographicOperations.FixedTimeEquals(actual, expected))
        {
            return PasswordVerificationResult.Failed;
        }

        // Django's must_update: a cheaper hash than today's, or a salt with less than 128 bits of
        // entropy (Django's own "seasalt" test vectors are such hashes), is replaced at next login.
        bool weak = iterations < currentIterations || salt.Length < SaltLength;
        return weak ? PasswordVerificationResult.SuccessRehashNeeded : PasswordVerificationResult.Success;
    }

    // Django compares the whole re-encoded string, so "01000" or "+1000" never verify there; we
    // accept only the canonical decimal form for the same result.
    private static bool TryParseIterations(string text, out int iterations) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out iterations)
        && iterations is > 0 and <= MaxIterations
        && text == iterations.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Hashes imported from an ASP.NET Core Identity database are checked by Identity's own hasher
    /// and always reported as needing a rehash, so each user moves to the Django format at their
    /// next login. The layout is checked here first, as Identity checks it, so that <paramref name="cost"/>
    /// is what Identity will really derive: its iteration count (v2: PBKDF2-HMAC-SHA1 at 1,000; v3: the
    /// count in its header, with SHA-1, SHA-256 or SHA-512, counted as SHA-256 iterations: close enough
    /// for padding, the difference being small beside today's cost), or 0 for a value it refuses unhashed.
    /// </summary>
    private static PasswordVerificationResult VerifyIdentity(string password, string encoded, out int cost)
    {
        cost = 0;
        byte[] decoded = new byte[encoded.Length];
        if (!Convert.TryFromBase64String(encoded, decoded, out int length) || length == 0)
        {
            return PasswordVerificationResult.Failed;
        }

        int iterations;
        switch (decoded[0])
        {
            case IdentityV2Marker:
                if (length != IdentityV2Length)
                {
                    return PasswordVerificationResult.Failed;
                }
                iterations = IdentityV2Iterations;
                break;
            case IdentityV3Marker:
                // Same CPU guard as for Django hashes: the PRF (0 SHA-1, 1 SHA-256, 2 SHA-512), iteration
                // count and salt length are big-endian uint32s at offsets 1, 5 and 9; Identity wants at
                // least 128 bits of salt and of subkey.
                if (length < IdentityV3HeaderLength || BinaryPrimitives.ReadUInt32BigEndian(decoded.AsSpan(1, 4)) > 2)
                {
                    return PasswordVerificationResult.Failed;
                }
                uint count = BinaryPrimitives.ReadUInt32BigEndian(decoded.AsSpan(5, 4));
                uint saltLength = BinaryPrimitives.ReadUInt32BigEndian(decoded.AsSpan(9, 4));
                if (count is 0 or > MaxIterations
                    || saltLength < IdentityMinimumBytes
                    || length - IdentityV3HeaderLength - (long)saltLength < IdentityMinimumBytes)
                {
                    return PasswordVerificationResult.Failed;
                }
                iterations = (int)count;
                break;
            default:
                return PasswordVerificationResult.Failed;
        }

        try
        {
            PasswordVerificationResult result = IdentityHasher.VerifyHashedPassword(IdentityUser, encoded, password);
            cost = iterations;
            return result == PasswordVerificationResult.Failed
                ? PasswordVerificationResult.Failed
                : PasswordVerificationResult.SuccessRehashNeeded;
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException or ArgumentException or OverflowException)
        {
            // A corrupted Identity payload is a failed login, not a 500 (and Identity derived nothing).
            return PasswordVerificationResult.Failed;
        }
    }

    private static byte[] Derive(string password, string salt, int iterations)
    {
        // Django's force_bytes: UTF-8 for both password and salt.
        byte[] passwordBytes = Encoding.UTF8.GetBytes(password);
        try
        {
            return Rfc2898DeriveBytes.Pbkdf2(
                passwordBytes, Encoding.UTF8.GetBytes(salt), iterations, HashAlgorithmName.SHA256, KeyLength);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }
}
