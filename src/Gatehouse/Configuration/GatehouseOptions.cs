namespace Gatehouse.Configuration;

/// <summary><c>Gatehouse</c>: settings that belong to no single area.</summary>
public sealed class GatehouseOptions
{
    public const string Section = "Gatehouse";

    /// <summary>
    /// Base64 of at least 32 random bytes. Keys the HMAC of short codes. Required outside Development;
    /// in Development an empty value gets a random per-process key.
    /// </summary>
    public string? SecretKey { get; set; }

    internal byte[] SecretKeyBytes { get; set; } = [];

    /// <summary>
    /// Keys that Gatehouse:SecretKey replaced (base64, each at least 32 bytes). Values sealed under them
    /// (mail waiting in the outbox) still open; nothing new is sealed under them. Remove a key once what it
    /// sealed is gone (outbox mail is wiped once sent or given up).
    /// </summary>
    public string[] PreviousSecretKeys { get; set; } = [];

    internal byte[][] PreviousSecretKeyBytes { get; set; } = [];

    /// <summary>Base64 to bytes; empty (refused by the validator) when it is not base64.</summary>
    internal static byte[] DecodeKey(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return [];
        }
        var bytes = new byte[value.Length];
        return Convert.TryFromBase64String(value.Trim(), bytes, out var written) ? bytes[..written] : [];
    }
}
