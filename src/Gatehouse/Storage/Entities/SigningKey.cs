namespace Gatehouse.Storage.Entities;

/// <summary>
/// A JWT signing key, shared by every node through the database. The private key is sealed with
/// <see cref="Security.SecretBox"/> (bound to its kid), so a copy of the database cannot sign tokens.
/// The key that signs is the newest generation whose <see cref="ActivatesAt"/> has come; an older one stays
/// published until the newest's activation plus the access-token lifetime has passed.
/// </summary>
public sealed class SigningKey
{
    /// <summary>The RFC 7638 thumbprint of the public key (base64url): the <c>kid</c> header of its tokens.</summary>
    public required string Kid { get; set; }
    /// <summary>1, 2, 3...: unique, so two nodes rotating at once cannot both add a key.</summary>
    public int Generation { get; set; }
    /// <summary>ES256 or RS256.</summary>
    public required string Algorithm { get; set; }
    /// <summary>PKCS#8, base64, sealed (<c>gh1:&lt;key id&gt;:...</c>, purpose "tokens.signing_key", binding the kid).</summary>
    public required string PrivateKey { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ActivatesAt { get; set; }
}
