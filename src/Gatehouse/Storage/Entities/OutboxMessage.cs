namespace Gatehouse.Storage.Entities;

/// <summary>A mail waiting to be delivered; written in the same transaction as the change that caused it.</summary>
public sealed class OutboxMessage
{
    /// <summary>The subject column's length: RFC 5322's line limit (section 2.1.1).</summary>
    public const int SubjectMaxLength = 998;

    public long Id { get; set; }
    public required string ToAddress { get; set; }
    public required string Subject { get; set; }
    public required string TextBody { get; set; }
    public string? HtmlBody { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public int Attempts { get; set; }
    public DateTime? SentAt { get; set; }
    /// <summary>Set by the node that claimed the message, so two nodes never send it twice.</summary>
    public DateTime? LockedUntil { get; set; }
    /// <summary>Set when retries are exhausted; the message stays for an operator to see.</summary>
    public DateTime? FailedAt { get; set; }
    public string? LastError { get; set; }
    /// <summary>
    /// Not stored. Set on a notice (see <c>Mailer.NoticeTemplates</c>): the SHA-256 key of its per-address
    /// cooldown, which the save applies before the row is written.
    /// </summary>
    public string? CooldownKey { get; set; }
}
