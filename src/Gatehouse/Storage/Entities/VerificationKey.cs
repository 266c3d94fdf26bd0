namespace Gatehouse.Storage.Entities;

public static class KeyPurposes
{
    public const string EmailVerification = "email_verification";
    public const string PasswordReset = "password_reset";
}

/// <summary>A link key sent by mail (email verification, password reset). Only its SHA-256 is stored.</summary>
public sealed class VerificationKey
{
    public long Id { get; set; }
    public required string Purpose { get; set; }
    public required byte[] KeyHash { get; set; }
    public long UserId { get; set; }
    public User? User { get; set; }
    public required string Email { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? ConsumedAt { get; set; }
}
