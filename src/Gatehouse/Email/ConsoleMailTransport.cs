using Gatehouse.Configuration;
using Gatehouse.Storage.Entities;
using Microsoft.Extensions.Options;

namespace Gatehouse.Email;

/// <summary>
/// Development delivery: the mail goes to standard output (like Django's console backend), not to the
/// log, so links and codes never end up in log storage.
/// </summary>
public sealed class ConsoleMailTransport(IOptions<EmailOptions> options) : IMailTransport, IMailBatch
{
    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>Standard output needs no connection: the transport is its own batch.</summary>
    public IMailBatch StartBatch() => this;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public async Task SendAsync(OutboxMessage message, CancellationToken ct)
    {
        await Gate.WaitAsync(ct);
        try
        {
            var output = Console.Out;
            await output.WriteLineAsync("----- mail -----");
            await output.WriteLineAsync($"From: {options.Value.From}");
            await output.WriteLineAsync($"To: {message.ToAddress}");
            await output.WriteLineAsync($"Subject: {message.Subject}");
            await output.WriteLineAsync();
            await output.WriteLineAsync(message.TextBody);
            await output.WriteLineAsync("----------------");
            await output.FlushAsync(ct);
        }
        finally
        {
            Gate.Release();
        }
    }
}
