namespace Gatehouse.Storage.Entities;

/// <summary>
/// A mailed code waiting to be typed (login by code, email verification, password reset by code). The
/// pending flow refers to it by <see cref="Key"/>; see <see cref="Security.CodeChallenges"/>.
/// </summary>
public sealed class CodeChallenge
{
    /// <summary>Random; the primary key, so the pending flow can name the row before it is inserted.</summary>
    public required string Key { get; set; }
    public required string Purpose { get; set; }
    /// <summary>HMAC of the code; null when no code exists (an unknown address: nothing can match).</summary>
    public string? CodeHash { get; set; }
    public int Attempts { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? ConsumedAt { get; set; }
}

public static class CodePurposes
{
    public const string LoginByCode = "login_by_code";
    public const string EmailVerification = "email_verification";
    public const string PasswordReset = "password_reset";
    /// <summary>A pending mfa_authenticate's attempts (TOTP, recovery codes and keys share them).</summary>
    public const string MfaAuthenticate = "mfa_authenticate";
    /// <summary>A WebAuthn ceremony's challenge (registration, passkey login and signup, reauthentication).</summary>
    public const string WebAuthn = "webauthn";
}
