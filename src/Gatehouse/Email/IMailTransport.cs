using Gatehouse.Storage.Entities;

namespace Gatehouse.Email;

/// <summary>Delivers one mail or throws; retries are the outbox's business.</summary>
public interface IMailTransport
{
    Task SendAsync(OutboxMessage message, CancellationToken ct);
}
