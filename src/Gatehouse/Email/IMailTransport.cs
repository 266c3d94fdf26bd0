using Gatehouse.Storage.Entities;

namespace Gatehouse.Email;

/// <summary>
/// Delivers mail for the outbox. The outbox sends a pass's messages through one batch, so a transport
/// with connections (SMTP) opens one for the whole pass instead of one per message.
/// </summary>
public interface IMailTransport
{
    /// <summary>Starts a batch; nothing is connected until its first message.</summary>
    IMailBatch StartBatch();
}

/// <summary>One pass's deliveries. Disposing it closes what it opened.</summary>
public interface IMailBatch : IAsyncDisposable
{
    /// <summary>Delivers one mail or throws; retries are the outbox's business.</summary>
    Task SendAsync(OutboxMessage message, CancellationToken ct);
}
