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
    /// <summary>
    /// Random, replaced whenever every session must end (password changed, reset or taken away). Each
    /// session records the stamp its login saw and the session check compares them (Django's session
    /// auth hash does the same with a hash of the password).
    /// </summary>
    public string SecurityStamp { get; set; } = "";
    public List<EmailAddress> EmailAddresses { get; set; } = [];
}
