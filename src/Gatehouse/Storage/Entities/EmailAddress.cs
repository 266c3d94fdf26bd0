namespace Gatehouse.Storage.Entities;

public sealed class EmailAddress
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public User? User { get; set; }
    public required string Email { get; set; }
    /// <summary>Lower-cased address; unique across all accounts, so one address cannot sign up twice even in a race.</summary>
    public required string EmailNormalized { get; set; }
    public bool Verified { get; set; }
    public bool IsPrimary { get; set; }
    public DateTime CreatedAt { get; set; }
    /// <summary>When the last verification mail went out; drives the resend cooldown.</summary>
    public DateTime? LastConfirmationSentAt { get; set; }
}
