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
}
