namespace Gatehouse.Storage.Entities;

/// <summary>
/// One refresh token of a family. A family is the app session it was issued for (one login, one family):
/// revoking the family ends the session, and deleting the session deletes its refresh tokens. Only the
/// SHA-256 of the token is stored. A token is spent by one conditional update of <see cref="UsedAt"/>.
/// </summary>
public sealed class RefreshToken
{
    public long Id { get; set; }
    public long SessionId { get; set; }
    /// <summary>Set only for the first token of a session inserted in the same save (EF fills <see cref="SessionId"/>).</summary>
    public Session? Session { get; set; }
    public required byte[] TokenHash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    /// <summary>When it was exchanged for a new pair; presenting it again after the grace period is reuse.</summary>
    public DateTime? UsedAt { get; set; }
    /// <summary>
    /// The pair it was exchanged for, sealed (SecretBox, bound to this row), kept for the grace period only so
    /// that a client's concurrent refreshes all get the same pair; wiped by maintenance afterwards.
    /// </summary>
    public string? Successor { get; set; }
}
