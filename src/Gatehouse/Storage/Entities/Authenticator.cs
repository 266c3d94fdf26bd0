namespace Gatehouse.Storage.Entities;

/// <summary>
/// A second factor of a user (allauth's <c>mfa.Authenticator</c>): one TOTP and one recovery-code set per
/// user at most (a partial unique index), any number of WebAuthn credentials.
/// </summary>
public sealed class Authenticator
{
    public long Id { get; set; }
    public long UserId { get; set; }
    /// <summary>One of <see cref="Configuration.MfaTypes"/>.</summary>
    public required string Type { get; set; }
    /// <summary>
    /// The type's own JSON (TOTP: the secret sealed with SecretBox; WebAuthn: name, public key, counter,
    /// passwordless). Never a secret in clear.
    /// </summary>
    public required string Data { get; set; }
    /// <summary>WebAuthn only: the credential id (base64url), unique across all users, so a credential can never log in another account.</summary>
    public string? CredentialId { get; set; }
    /// <summary>
    /// TOTP: the last accepted time step; a code is accepted only for a later step, by a conditional update,
    /// so a code cannot be replayed in its window, even by two requests at once. WebAuthn: the signature counter.
    /// </summary>
    public long? Counter { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? LastUsedAt { get; set; }
}

/// <summary>One recovery code of a recovery-code set: only its HMAC is stored; using it is one conditional update.</summary>
public sealed class RecoveryCode
{
    public long Id { get; set; }
    public long AuthenticatorId { get; set; }
    /// <summary>Lets a new set and its codes be added in one unit of work.</summary>
    public Authenticator? Authenticator { get; set; }
    public required string CodeHash { get; set; }
    public DateTime? UsedAt { get; set; }
}

/// <summary>
/// A browser the user chose to trust after MFA (allauth's mfa_trust): only the SHA-256 of the cookie's value
/// is stored. It ends with the user's security stamp (password change/reset), at authenticator removal and
/// from the sessions page.
/// </summary>
public sealed class TrustedBrowser
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public required byte[] TokenHash { get; set; }
    /// <summary>The user's security stamp when trust was given.</summary>
    public required string AuthStamp { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public required string Ip { get; set; }
    public required string UserAgent { get; set; }
}

/// <summary>
/// A session a trust was granted in or let skip MFA. Ending any of them from the sessions page ends the trust
/// (whoever holds one of those sessions may hold the trust cookie beside it); a logout or expiry deletes only
/// the link.
/// </summary>
public sealed class TrustedBrowserSession
{
    public long TrustedBrowserId { get; set; }
    public TrustedBrowser? TrustedBrowser { get; set; }
    public long SessionId { get; set; }
    public Session? Session { get; set; }
}
