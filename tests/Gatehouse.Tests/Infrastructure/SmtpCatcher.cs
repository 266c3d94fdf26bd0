using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;
using SmtpServer;
using SmtpServer.Authentication;
using SmtpServer.Mail;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using SmtpListener = SmtpServer.SmtpServer;
using SmtpServices = SmtpServer.ComponentModel.ServiceProvider;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>How the catcher's port is protected.</summary>
public enum CatcherTls { None, StartTls, SslOnConnect }

/// <summary>
/// A real SMTP server on 127.0.0.1 (an OS-assigned port) that keeps every message it is given, so
/// tests exercise the product's own SMTP delivery end to end. The protocol is the SmtpServer package's
/// (ESMTP, PIPELINING, STARTTLS, implicit TLS, AUTH PLAIN/LOGIN); messages are parsed with MimeKit.
/// With TLS it presents a self-signed certificate made for it, which <see cref="ValidateCertificate"/>
/// pins.
/// </summary>
public sealed class SmtpCatcher : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromSeconds(10);

    private readonly SmtpListener _server;
    private readonly Task _running;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<CaughtMail> _messages = [];
    private readonly List<Waiter> _waiters = [];
    private readonly X509Certificate2? _certificate;
    private volatile bool _rejectMail;
    private int _sessions;
    private int _closeAtNextRecipient;

    private SmtpCatcher(CatcherTls tls, string? username, string? password, TaskCompletionSource<int> bound)
    {
        _certificate = tls == CatcherTls.None ? null : SelfSignedCertificate();
        var options = new SmtpServerOptionsBuilder()
            .ServerName("smtp-catcher.test")
            .Endpoint(endpoint =>
            {
                endpoint.Endpoint(new IPEndPoint(IPAddress.Loopback, 0));
                if (_certificate is not null)
                {
                    endpoint.Certificate(_certificate).IsSecure(tls == CatcherTls.SslOnConnect)
                        .SupportedSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13);
                }
                if (username is not null)
                {
                    // Offered on a plain connection too, so a test shows that it is the client that refuses.
                    endpoint.AuthenticationRequired().AllowUnsecureAuthentication();
                }
            })
            .Build();
        var listeners = new EndpointListenerFactory();
        listeners.EndpointStarted += (_, e) => bound.TrySetResult(((IPEndPoint)e.LocalEndPoint).Port);
        var services = new SmtpServices();
        services.Add(listeners);
        services.Add(new Store(this));
        services.Add(new Filter(this));
        if (username is not null)
        {
            services.Add(new DelegatingUserAuthenticator((user, pass) => user == username && pass == password));
        }
        _server = new SmtpListener(options, services);
        _server.SessionCreated += (_, _) => Interlocked.Increment(ref _sessions);
        _running = _server.StartAsync(_stopping.Token);
        _ = _running.ContinueWith(t => bound.TrySetException(t.Exception?.InnerException ?? new InvalidOperationException("The SMTP catcher stopped.")),
            CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
    }

    /// <summary>
    /// Starts a catcher listening on 127.0.0.1 at <see cref="Port"/>; with a username it requires AUTH
    /// with that username and password.
    /// </summary>
    public static async Task<SmtpCatcher> StartAsync(CatcherTls tls = CatcherTls.None, string? username = null, string? password = null)
    {
        var bound = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var catcher = new SmtpCatcher(tls, username, password, bound);
        catcher.Port = await bound.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return catcher;
    }

    public string Host => "127.0.0.1";

    public int Port { get; private set; }

    /// <summary>SMTP sessions (connections) opened so far.</summary>
    public int Sessions => Volatile.Read(ref _sessions);

    /// <summary>A snapshot of the messages received so far, oldest first.</summary>
    public IReadOnlyList<CaughtMail> Messages
    {
        get
        {
            lock (_gate)
            {
                return [.. _messages];
            }
        }
    }

    /// <summary>
    /// When true, DATA is answered with 451 (a transient failure, RFC 5321 section 4.2.3), so the
    /// sender sees its delivery fail and should retry later. Nothing is stored.
    /// </summary>
    public bool RejectMail
    {
        get => _rejectMail;
        set => _rejectMail = value;
    }

    /// <summary>
    /// Called with each message before it is accepted (before the sender gets its 250), on the
    /// catcher's thread: a test can act "while the server is busy with this message".
    /// </summary>
    public Func<CaughtMail, Task>? OnMail { get; set; }

    /// <summary>
    /// The next RCPT is answered 421 and the connection closed (RFC 5321 section 3.8: the server
    /// shutting the channel), as a server does that times out an idle connection.
    /// </summary>
    public void CloseConnectionAtNextRecipient() => Interlocked.Exchange(ref _closeAtNextRecipient, 1);

    /// <summary>
    /// A certificate check for the client that accepts exactly this catcher's certificate (by its
    /// SHA-256), whatever the system's trust store says.
    /// </summary>
    public bool ValidateCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
        _certificate is not null && certificate is not null &&
        string.Equals(certificate.GetCertHashString(HashAlgorithmName.SHA256), _certificate.GetCertHashString(HashAlgorithmName.SHA256), StringComparison.Ordinal);

    /// <summary>
    /// Returns the first message (already received, or arriving within the timeout, 10 s unless
    /// given) that <paramref name="match"/> accepts. The timeout's exception lists what did arrive.
    /// </summary>
    public async Task<CaughtMail> WaitForMailAsync(Func<CaughtMail, bool> match, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(match);
        var limit = timeout ?? DefaultWaitTimeout;
        Waiter waiter;
        lock (_gate)
        {
            foreach (var mail in _messages)
            {
                if (match(mail))
                {
                    return mail;
                }
            }
            waiter = new Waiter(match);
            _waiters.Add(waiter);
        }

        try
        {
            return await waiter.Completion.Task.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
            }
            throw new TimeoutException(DescribeTimeout(limit));
        }
    }

    /// <summary>Forgets every message received so far.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _messages.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        await _stopping.CancelAsync();
        try
        {
            await _running;
        }
        catch (OperationCanceledException)
        {
            // Expected: the catcher was stopped.
        }
        _stopping.Dispose();
        _certificate?.Dispose();
    }

    private string DescribeTimeout(TimeSpan limit)
    {
        var received = Messages;
        var seconds = limit.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        if (received.Count == 0)
        {
            return $"No mail matched within {seconds} s; no mail was received at all.";
        }
        // Subjects and recipients only: bodies carry links and codes that do not belong in logs.
        var lines = received.Select((m, i) => $"  {i + 1}. \"{m.Subject}\" to {string.Join(", ", m.To)}");
        return $"No mail matched within {seconds} s; received {received.Count}:{Environment.NewLine}"
            + string.Join(Environment.NewLine, lines);
    }

    private void Deliver(CaughtMail mail)
    {
        lock (_gate)
        {
            _messages.Add(mail);
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                var waiter = _waiters[i];
                try
                {
                    if (!waiter.Match(mail))
                    {
                        continue;
                    }
                    waiter.Completion.TrySetResult(mail);
                }
                catch (Exception ex)
                {
                    waiter.Completion.TrySetException(ex);
                }
                _waiters.RemoveAt(i);
            }
        }
    }

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=smtp-catcher.test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        // Through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    private sealed record Waiter(Func<CaughtMail, bool> Match)
    {
        public TaskCompletionSource<CaughtMail> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Store(SmtpCatcher owner) : IMessageStore
    {
        public async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction,
            ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            if (owner.RejectMail)
            {
                return new SmtpResponse((SmtpReplyCode)451, "Requested action aborted: local error in processing");
            }
            var raw = buffer.ToArray();
            using var stream = new MemoryStream(raw);
            using var message = await MimeMessage.LoadAsync(stream, cancellationToken);
            var mail = new CaughtMail(
                transaction.From.AsAddress(),
                [.. transaction.To.Select(t => t.AsAddress())],
                message.Subject ?? "",
                Lines(message.TextBody) ?? "",
                Lines(message.HtmlBody),
                Encoding.UTF8.GetString(raw))
            {
                Secure = context.Pipe.IsSecure,
                User = context.Authentication.IsAuthenticated ? context.Authentication.User : null,
            };
            if (owner.OnMail is { } hook)
            {
                await hook(mail);
            }
            owner.Deliver(mail);
            return SmtpResponse.Ok;
        }

        private static string? Lines(string? text) => text?.Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    private sealed class Filter(SmtpCatcher owner) : IMailboxFilter
    {
        public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken) =>
            Task.FromResult(true);

        public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref owner._closeAtNextRecipient, 0) == 1)
            {
                throw new SmtpResponseException(new SmtpResponse((SmtpReplyCode)421, "smtp-catcher.test closing the channel"), quit: true);
            }
            return Task.FromResult(true);
        }
    }
}

/// <summary>
/// A message as the catcher received it. <see cref="From"/> and <see cref="To"/> are the SMTP
/// envelope (MAIL FROM and RCPT TO, so Bcc recipients appear too); <see cref="Subject"/> and the
/// bodies are MIME-decoded (MimeKit), with line ends as "\n"; <see cref="TextBody"/> is "" when there is
/// no text/plain part; <see cref="Raw"/> is the message as received, read as UTF-8.
/// </summary>
public sealed partial record CaughtMail(string From, IReadOnlyList<string> To, string Subject, string TextBody, string? HtmlBody, string Raw)
{
    /// <summary>Whether the SMTP session was encrypted (implicit TLS or STARTTLS) when the message came.</summary>
    public bool Secure { get; init; }

    /// <summary>The user the session authenticated as, or null.</summary>
    public string? User { get; init; }

    /// <summary>The first http(s) URL in the text body.</summary>
    public string FirstUrl()
    {
        var match = UrlPattern().Match(TextBody);
        if (!match.Success)
        {
            throw new InvalidOperationException($"The mail \"{Subject}\" has no http(s) URL in its text body:{Environment.NewLine}{TextBody}");
        }
        // A sentence may end right after the URL.
        return match.Value.TrimEnd('.', ',', ';', ':', '!', '?');
    }

    /// <summary>
    /// The first line of the text body that is a code on its own (e.g. "ABCD-1234" or "123456"):
    /// 6 to 12 capital letters, digits and dashes, starting and ending with a letter or digit.
    /// </summary>
    public string? CodeLine()
    {
        foreach (var line in TextBody.Split('\n'))
        {
            var candidate = line.Trim();
            if (CodePattern().IsMatch(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    [GeneratedRegex("""https?://[^\s<>"'()\[\]]+""", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlPattern();

    [GeneratedRegex("^[A-Z0-9][A-Z0-9-]{4,10}[A-Z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex CodePattern();
}
