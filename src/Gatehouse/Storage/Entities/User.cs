namespace Gatehouse.Storage.Entities;

public sealed class User
{
    public long Id { get; set; }
    public string? Username { get; set; }
    /// <summary>Lower-cased username; unique in the database.</summary>
    public string? UsernameNormalized { get; set; }
    /// <summary>Django format (<c>pbkdf2_sha256$...</c>) or an unusable marker starting with "!".</summary>
    public string? PasswordHash { get; set; }
    public bool IsActive { get; set; } = true;
    public bool IsStaff { get; set; }
    public DateTime DateJoined { get; set; }
    public DateTime? LastLogin { get; set; }
    public List<EmailAddress> EmailAddresses { get; set; } = [];
}
