using System.Net;
using System.Net.Sockets;
using Gatehouse.Configuration;
using Gatehouse.Storage.Entities;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Gatehouse.Email;

/// <summary>
/// SMTP delivery with MailKit (Microsoft's recommendation over System.Net.Mail.SmtpClient, which has
/// no implicit TLS): text plus an HTML alternative, one connection per outbox batch.
/// </summary>
public sealed partial class SmtpMailTransport(IOptions<EmailOptions> options, ILogger<SmtpMailTransport> logger) : IMailTransport
{
    public IMailBatch StartBatch() => new Batch(options.Value, logger);

    /// <summary>How MailKit should secure the connection for these settings.</summary>
    internal static SecureSocketOptions SocketOptions(SmtpOptions smtp) => smtp.EffectiveSecurity switch
    {
        SmtpSecurity.None => SecureSocketOptions.None,
        SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
        SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        // Port 465 is implicit TLS (RFC 8314 section 3.3). Elsewhere STARTTLS when the server offers it,
        // and required with credentials: a stripped STARTTLS must not make the password go out in clear.
        _ when smtp.Port == 465 => SecureSocketOptions.SslOnConnect,
        _ when !string.IsNullOrEmpty(smtp.Username) => SecureSocketOptions.StartTls,
        _ => SecureSocketOptions.StartTlsWhenAvailable,
    };

    internal static MimeMessage Build(EmailOptions settings, OutboxMessage message)
    {
        var mime = new MimeMessage();
        mime.From.Add(MailboxAddress.Parse(settings.From));
        mime.To.Add(MailboxAddress.Parse(message.ToAddress));
        mime.Subject = message.Subject;
        mime.Body = new BodyBuilder { TextBody = message.TextBody, HtmlBody = message.HtmlBody }.ToMessageBody();
        return mime;
    }

    /// <summary>
    /// One connection, opened at the first message and kept for the next ones. After any failure the
    /// connection is dropped, so the next message starts on a clean one; a message that fails because a
    /// reused connection was gone (the server timed it out, RFC 5321 section 4.5.3.2) is tried once more
    /// on a fresh connection instead of waiting for the back-off.
    /// </summary>
    private sealed class Batch(EmailOptions settings, ILogger logger) : IMailBatch
    {
        private SmtpClient? _client;
        private int _sentOnConnection;

        public async Task SendAsync(OutboxMessage message, CancellationToken ct)
        {
            using var mime = Build(settings, message);
            var reused = _client is not null && _sentOnConnection > 0;
            try
            {
                await SendOnceAsync(mime, ct);
            }
            catch (Exception ex) when (reused && IsConnectionLost(ex) && !ct.IsCancellationRequested)
            {
                Log.Reconnecting(logger, message.Id, ex.GetType().Name);
                await SendOnceAsync(mime, ct);
            }
        }

        private async Task SendOnceAsync(MimeMessage mime, CancellationToken ct)
        {
            try
            {
                var client = _client ??= await ConnectAsync(ct);
                await client.SendAsync(mime, ct);
                _sentOnConnection++;
            }
            catch
            {
                await DropAsync();
                throw;
            }
        }

        private async Task<SmtpClient> ConnectAsync(CancellationToken ct)
        {
            var smtp = settings.Smtp;
            var client = new SmtpClient { Timeout = (int)smtp.Timeout.TotalMilliseconds };
            try
            {
                if (smtp.ServerCertificateValidation is { } validate)
                {
                    client.ServerCertificateValidationCallback = validate;
                }
                await client.ConnectAsync(smtp.Host ?? throw new InvalidOperationException("Gatehouse:Email:Smtp:Host is not set."), smtp.Port, SocketOptions(smtp), ct);
                if (!string.IsNullOrEmpty(smtp.Username))
                {
                    // Belt and braces over SocketOptions: credentials go only over TLS unless None was chosen
                    // explicitly (the options validator allows that for a relay on this host only).
                    if (!client.IsSecure && smtp.EffectiveSecurity != SmtpSecurity.None)
                    {
                        throw new AuthenticationException("The SMTP connection is not encrypted; the credentials were not sent.");
                    }
                    await client.AuthenticateAsync(new NetworkCredential(smtp.Username, smtp.Password), ct);
                }
                _sentOnConnection = 0;
                return client;
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }

        private async Task DropAsync()
        {
            if (_client is not { } client)
            {
                return;
            }
            _client = null;
            try
            {
                if (client.IsConnected)
                {
                    await client.DisconnectAsync(quit: true, CancellationToken.None);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or MailKit.ProtocolException or SmtpCommandException or OperationCanceledException)
            {
                // The connection is being thrown away; how it ends does not matter.
            }
            finally
            {
                client.Dispose();
            }
        }

        /// <summary>
        /// The connection was gone rather than the message refused: the socket failed, the server hung
        /// up, or it answered 421 (service not available, closing the channel; RFC 5321 section 3.8).
        /// </summary>
        private static bool IsConnectionLost(Exception ex) => ex switch
        {
            SmtpCommandException command => command.StatusCode == SmtpStatusCode.ServiceNotAvailable,
            IOException or SocketException or SmtpProtocolException or ServiceNotConnectedException => true,
            _ => false,
        };

        public ValueTask DisposeAsync() => new(DropAsync());
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "SMTP connection lost while sending outbox message {Id} ({Error}); trying once more on a new connection")]
        public static partial void Reconnecting(ILogger logger, long id, string error);
    }
}
