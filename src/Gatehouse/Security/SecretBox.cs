using System.Security.Cryptography;
using System.Text;
using Gatehouse.Configuration;
using Microsoft.Extensions.Options;

namespace Gatehouse.Security;

/// <summary>
/// Authenticated encryption (AES-256-GCM) for secrets that must be stored readable for a while, such as
/// a mail carrying a reset link waiting in the outbox. The key is derived from Gatehouse:SecretKey, which
/// is not in the database, so a copy of the database does not reveal them.
/// </summary>
public sealed class SecretBox
{
    private const string Prefix = "gh1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public SecretBox(IOptions<GatehouseOptions> options)
        : this(options.Value.SecretKeyBytes)
    {
    }

    /// <summary>For tools outside the server that write rows it reads (e.g. the benchmark's outbox backlog).</summary>
    public SecretBox(byte[] secretKey)
    {
        _key = HKDF.DeriveKey(HashAlgorithmName.SHA256, secretKey, 32, info: "gatehouse secret box v1"u8.ToArray());
    }

    public string Seal(string plaintext)
    {
        var data = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + TagSize + data.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, data, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize));
        return Prefix + Convert.ToBase64String(output);
    }

    /// <summary>Decrypts what <see cref="Seal"/> made; throws CryptographicException if it was altered or made under another key.</summary>
    public string Open(string sealedText)
    {
        if (!sealedText.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new CryptographicException("Not a sealed value.");
        }
        var input = Convert.FromBase64String(sealedText[Prefix.Length..]);
        if (input.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("Sealed value too short.");
        }
        var plaintext = new byte[input.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize + TagSize), input.AsSpan(NonceSize, TagSize), plaintext);
        return Encoding.UTF8.GetString(plaintext);
    }
}
