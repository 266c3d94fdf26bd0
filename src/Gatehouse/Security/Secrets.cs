using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Gatehouse.Security;

/// <summary>
/// Every bearer secret Gatehouse hands out comes from here: drawn from the OS CSPRNG, and stored only as
/// a hash. Comparisons of secrets are fixed-time.
/// </summary>
public static class Secrets
{
    private const string TokenAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    // allauth's alphabet for user codes (RFC 8628 section 6.1: consonants only, so no words and no
    // 0/O or 1/I confusion); 20^8 codes, guarded by an attempt limit.
    private const string CodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ";

    /// <summary>A session token: 32 characters of [a-z0-9] (about 165 bits), the shape allauth's tokens have.</summary>
    public static string NewSessionToken() => RandomNumberGenerator.GetString(TokenAlphabet, 32);

    /// <summary>A key for a mail link: 32 random bytes, base64url (URL-safe, no padding).</summary>
    public static string NewUrlKey() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>A short human-typable code such as <c>VGLZ-PKWQ</c>, as allauth sends for login by code.</summary>
    public static string NewCode()
    {
        var raw = RandomNumberGenerator.GetString(CodeAlphabet, 8);
        return string.Concat(raw.AsSpan(0, 4), "-", raw.AsSpan(4));
    }

    /// <summary>Codes are typed by people: compare them without case, spaces or dashes.</summary>
    public static string NormalizeCode(string code)
    {
        var builder = new StringBuilder(code.Length);
        foreach (var c in code)
        {
            if (char.IsLetterOrDigit(c))
            {
                builder.Append(char.ToUpperInvariant(c));
            }
        }
        return builder.ToString();
    }

    public static byte[] Sha256(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static bool FixedTimeEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => CryptographicOperations.FixedTimeEquals(a, b);

    public static string Sha256Hex(string value) => Convert.ToHexStringLower(Sha256(value));
}
