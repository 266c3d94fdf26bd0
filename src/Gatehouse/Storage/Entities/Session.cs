namespace Gatehouse.Storage.Entities;

/// <summary>
/// A session of either client kind. It exists before login too, to carry a pending flow.
/// Only the SHA-256 of the token is stored.
/// </summary>
public sealed class Session
{
    public long Id { get; set; }
    public required byte[] TokenHash { get; set; }
    /// <summary>"app" or "browser".</summary>
    public required string Client { get; set; }
    public long? UserId { get; set; }
    /// <summary>The user's security stamp when this session logged in; a session whose stamp is stale is dead.</summary>
    public string AuthStamp { get; set; } = "";
    public User? User { get; set; }
    /// <summary>JSON of <see cref="Sessions.SessionState"/>: authentication methods and the pending flow.</summary>
    public string? State { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime LastSeenAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public required string Ip { get; set; }
    public required string UserAgent { get; set; }
}
