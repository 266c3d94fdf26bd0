using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Configuration;
using Microsoft.Extensions.Options;

namespace Gatehouse.Security;

/// <summary>
/// Authenticated encryption (AES-256-GCM) for secrets that must be stored readable for a while, such as
/// a mail carrying a reset link waiting in the outbox. The key is derived from Gatehouse:SecretKey, which
/// is not in the database, so a copy of the database does not reveal them.
/// <para>
/// A sealed value is <c>gh1:&lt;kid&gt;:&lt;base64(nonce | tag | ciphertext)&gt;</c>. It is bound, as GCM
/// associated data, to a purpose and to what it belongs to (an outbox body to its recipient): someone who
/// can write to the database cannot move a sealed reset mail into a row addressed to themselves and have
/// the server decrypt and send it. The key id names the key that sealed it, so the key can be rotated:
/// keys listed in Gatehouse:PreviousSecretKeys still open what they sealed, and seal nothing new.
/// </para>
/// </summary>
public sealed class SecretBox
{
    private const string Prefix = "gh1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private const int KeyIdBytes = 8;

    private readonly BoxKey _current;
    private readonly BoxKey[] _keys; // the current key first, then the previous ones

    public SecretBox(IOptions<GatehouseOptions> options)
        : this(options.Value.SecretKeyBytes, options.Value.PreviousSecretKeyBytes)
    {
    }

    /// <summary>For tools outside the server that write rows it reads (e.g. the benchmark's outbox backlog).</summary>
    /// <param name="secretKey">The key that seals (Gatehouse:SecretKey).</param>
    /// <param name="previousKeys">Keys that only open (Gatehouse:PreviousSecretKeys).</param>
    public SecretBox(byte[] secretKey, params IReadOnlyList<byte[]> previousKeys)
    {
        _current = BoxKey.From(secretKey);
        _keys = [_current, .. previousKeys.Select(BoxKey.From).Where(k => k.Id != _current.Id).DistinctBy(k => k.Id)];
    }

    /// <summary>
    /// Seals <paramref name="plaintext"/> for one <paramref name="purpose"/> (e.g. "outbox.text_body") and
    /// one <paramref name="binding"/> (what it belongs to, e.g. the recipient): it opens only for both.
    /// </summary>
    public string Seal(string plaintext, string purpose, string binding)
    {
        var data = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[NonceSize + TagSize + data.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_current.Aes, TagSize);
        aes.Encrypt(nonce, data, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize),
            AssociatedData(_current.Id, purpose, binding));
        return Prefix + _current.Id + ":" + Convert.ToBase64String(output);
    }

    /// <summary>
    /// Decrypts what <see cref="Seal"/> made for the same purpose and binding. Throws CryptographicException
    /// (fails closed) if the value was altered, belongs to another purpose or binding, or was sealed under a
    /// key that is neither the current one nor a listed previous one.
    /// </summary>
    public string Open(string sealedText, string purpose, string binding)
    {
        if (!sealedText.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new CryptographicException("Not a sealed value.");
        }
        var rest = sealedText.AsSpan(Prefix.Length);
        var colon = rest.IndexOf(':');
        if (colon < 0)
        {
            return OpenUnbound(rest);
        }

        var id = rest[..colon].ToString();
        var key = _keys.FirstOrDefault(k => k.Id == id)
            ?? throw new CryptographicException(
                "The value was sealed under a key that is not configured: list the old key in Gatehouse:PreviousSecretKeys.");
        var input = Decode(rest[(colon + 1)..]);
        return Decrypt(key, input, AssociatedData(id, purpose, binding));
    }

    /// <summary>
    /// The first format, <c>gh1:&lt;base64&gt;</c> (standard base64 has no colon), made before values were
    /// bound and keys named: rows written by an older version (unsent outbox mail) still open, without a
    /// binding to check, under the current or any previous key. Nothing seals this format any more, and
    /// outbox bodies are wiped once sent or given up, so these disappear with the backlog.
    /// </summary>
    private string OpenUnbound(ReadOnlySpan<char> encoded)
    {
        var input = Decode(encoded);
        foreach (var key in _keys)
        {
            try
            {
                return Decrypt(key, input, []);
            }
            catch (AuthenticationTagMismatchException)
            {
                // not this key: try the next
            }
        }
        throw new CryptographicException("The value was altered or sealed under a key that is not configured.");
    }

    private static byte[] Decode(ReadOnlySpan<char> encoded)
    {
        var input = new byte[encoded.Length];
        if (!Convert.TryFromBase64Chars(encoded, input, out var written) || written < NonceSize + TagSize)
        {
            throw new CryptographicException("Not a sealed value.");
        }
        return input[..written];
    }

    private static string Decrypt(BoxKey key, byte[] input, byte[] associatedData)
    {
        var plaintext = new byte[input.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key.Aes, TagSize);
        aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize + TagSize), input.AsSpan(NonceSize, TagSize), plaintext, associatedData);
        return Encoding.UTF8.GetString(plaintext);
    }

    /// <summary>
    /// The header (format and key id), the purpose and the binding, each length-prefixed so that no two
    /// different (purpose, binding) pairs give the same bytes.
    /// </summary>
    private static byte[] AssociatedData(string keyId, string purpose, string binding)
    {
        var parts = new[] { Prefix + keyId, purpose, binding }.Select(Encoding.UTF8.GetBytes).ToArray();
        var result = new byte[parts.Sum(p => 4 + p.Length)];
        var offset = 0;
        foreach (var part in parts)
        {
            BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(offset), part.Length);
            part.CopyTo(result, offset + 4);
            offset += 4 + part.Length;
        }
        return result;
    }

    private sealed record BoxKey(string Id, byte[] Aes)
    {
        public static BoxKey From(byte[] secret)
        {
            // The encryption key is the one the first format used, so its values open under it. The id
            // comes from a separate derivation and a hash of it: public, and says nothing about the key.
            var aes = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: "gatehouse secret box v1"u8.ToArray());
            var idKey = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: "gatehouse secret box key id"u8.ToArray());
            var id = Base64Url.EncodeToString(SHA256.HashData(idKey).AsSpan(0, KeyIdBytes));
            return new BoxKey(id, aes);
        }
    }
}
