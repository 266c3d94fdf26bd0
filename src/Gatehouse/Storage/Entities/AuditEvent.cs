namespace Gatehouse.Storage.Entities;

public sealed class AuditEvent
{
    public long Id { get; set; }
    public DateTime OccurredAt { get; set; }
    public required string EventType { get; set; }
    public long? UserId { get; set; }
    public string? Ip { get; set; }
    public string? UserAgent { get; set; }
    /// <summary>Small JSON object of non-secret details (e.g. the email address involved).</summary>
    public string? Data { get; set; }
}
