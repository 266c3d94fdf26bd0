using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// A real SMTP server on 127.0.0.1 (an OS-assigned port) that keeps every message it is given, so
/// tests exercise the product's own SMTP delivery (<c>System.Net.Mail.SmtpClient</c>) end to end.
/// It speaks the RFC 5321 subset a plain client needs: greeting, EHLO/HELO, MAIL, RCPT, DATA (with
/// dot-unstuffing), RSET, NOOP, QUIT. No TLS, no AUTH.
/// </summary>
public sealed class SmtpCatcher : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromSeconds(10);
    private const int MaxMessageBytes = 32 * 1024 * 1024;
    private const string Domain = "smtp-catcher.test";

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<CaughtMail> _messages = [];
    private readonly List<Waiter> _waiters = [];
    private readonly ConcurrentDictionary<TcpClient, Task> _connections = new();
    private readonly Task _acceptLoop;
    private volatile bool _rejectMail;

    private SmtpCatcher()
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    /// <summary>Starts a catcher listening on 127.0.0.1 at <see cref="Port"/>.</summary>
    public static SmtpCatcher Start() => new();

    public string Host => "127.0.0.1";

    public int Port { get; }

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
        _listener.Stop();
        foreach (var client in _connections.Keys)
        {
            client.Dispose();
        }
        try
        {
            await Task.WhenAll([_acceptLoop, .. _connections.Values]);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // Expected: the connections were cut.
        }
        _stopping.Dispose();
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

    private async Task AcceptLoopAsync()
    {
        var token = _stopping.Token;
        while (!token.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(token);
            }
            catch (Exception ex) when (token.IsCancellationRequested && ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _connections[client] = ServeAsync(client, token);
        }
    }

    private async Task ServeAsync(TcpClient client, CancellationToken token)
    {
        await Task.Yield();
        try
        {
            using (client)
            {
                var stream = client.GetStream();
                await new Session(this, stream).RunAsync(token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The client went away, or the catcher is being disposed.
        }
        finally
        {
            _connections.TryRemove(client, out _);
        }
    }

    private sealed record Waiter(Func<CaughtMail, bool> Match)
    {
        public TaskCompletionSource<CaughtMail> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>One SMTP connection: a sequence of mail transactions (RFC 5321 section 3.3).</summary>
    private sealed class Session(SmtpCatcher owner, NetworkStream stream)
    {
        private readonly LineReader _reader = new(stream);
        private string? _from;
        private readonly List<string> _to = [];

        public async Task RunAsync(CancellationToken token)
        {
            await ReplyAsync($"220 {Domain} ESMTP SmtpCatcher ready", token);
            while (true)
            {
                var line = await _reader.ReadLineAsync(token);
                if (line is null)
                {
                    return;
                }
                var text = Encoding.UTF8.GetString(line);
                var space = text.IndexOf(' ', StringComparison.Ordinal);
                var verb = (space < 0 ? text : text[..space]).ToUpperInvariant();
                var argument = space < 0 ? "" : text[(space + 1)..].Trim();

                switch (verb)
                {
                    case "EHLO":
                        Reset();
                        // Section 4.1.1.1: a multi-line 250 naming the extensions we support.
                        await ReplyAsync($"250-{Domain} greets {argument}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE {MaxMessageBytes}", token);
                        break;
                    case "HELO":
                        Reset();
                        await ReplyAsync($"250 {Domain}", token);
                        break;
                    case "MAIL":
                        if (ParsePath(argument, "FROM:") is not { } from)
                        {
                            await ReplyAsync("501 5.5.4 Syntax: MAIL FROM:<address>", token);
                            break;
                        }
                        // A new MAIL starts a new transaction (clients that skip RSET are tolerated).
                        Reset();
                        _from = from;
                        await ReplyAsync("250 2.1.0 OK", token);
                        break;
                    case "RCPT":
                        if (_from is null)
                        {
                            await ReplyAsync("503 5.5.1 Need MAIL before RCPT", token);
                        }
                        else if (ParsePath(argument, "TO:") is not { Length: > 0 } to)
                        {
                            await ReplyAsync("501 5.5.4 Syntax: RCPT TO:<address>", token);
                        }
                        else
                        {
                            _to.Add(to);
                            await ReplyAsync("250 2.1.5 OK", token);
                        }
                        break;
                    case "DATA":
                        await ReceiveDataAsync(token);
                        break;
                    case "RSET":
                        Reset();
                        await ReplyAsync("250 2.0.0 OK", token);
                        break;
                    case "NOOP":
                        await ReplyAsync("250 2.0.0 OK", token);
                        break;
                    case "VRFY":
                        await ReplyAsync("252 2.5.2 Cannot VRFY user, but will accept message", token);
                        break;
                    case "QUIT":
                        await ReplyAsync($"221 2.0.0 {Domain} closing connection", token);
                        return;
                    default:
                        await ReplyAsync("502 5.5.1 Command not implemented", token);
                        break;
                }
            }
        }

        private async Task ReceiveDataAsync(CancellationToken token)
        {
            if (_from is null || _to.Count == 0)
            {
                await ReplyAsync(_from is null ? "503 5.5.1 Need MAIL before DATA" : "554 5.5.1 No valid recipients", token);
                return;
            }
            if (owner.RejectMail)
            {
                Reset();
                await ReplyAsync("451 4.3.0 Mail rejected for now (SmtpCatcher.RejectMail); try again later", token);
                return;
            }

            await ReplyAsync("354 Start mail input; end with <CRLF>.<CRLF>", token);
            using var data = new MemoryStream();
            var tooLarge = false;
            while (true)
            {
                var line = await _reader.ReadLineAsync(token, crlfOnly: true) ?? throw new IOException("The client closed the connection during DATA.");
                if (line is [(byte)'.'])
                {
                    break;
                }
                // Section 4.5.2: a line that begins with a dot had one more dot added by the sender.
                var start = line is [(byte)'.', ..] ? 1 : 0;
                if (data.Length + line.Length > MaxMessageBytes)
                {
                    tooLarge = true;
                    continue;
                }
                data.Write(line, start, line.Length - start);
                data.Write("\r\n"u8);
            }

            if (tooLarge)
            {
                Reset();
                await ReplyAsync("552 5.3.4 Message too big", token);
                return;
            }

            var mail = MimeParser.Parse(_from, [.. _to], data.ToArray());
            Reset();
            owner.Deliver(mail);
            await ReplyAsync("250 2.0.0 OK: queued", token);
        }

        private void Reset()
        {
            _from = null;
            _to.Clear();
        }

        private async Task ReplyAsync(string reply, CancellationToken token)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(reply + "\r\n"), token);
        }

        // "FROM:<a@b> SIZE=123" or "FROM: <a@b>" => "a@b"; "FROM:<>" (a bounce) => "".
        private static string? ParsePath(string argument, string keyword)
        {
            if (!argument.StartsWith(keyword, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
            var rest = argument[keyword.Length..].TrimStart();
            if (rest.StartsWith('<'))
            {
                var end = rest.IndexOf('>', StringComparison.Ordinal);
                return end < 0 ? null : rest[1..end];
            }
            var space = rest.IndexOf(' ', StringComparison.Ordinal);
            var path = space < 0 ? rest : rest[..space];
            return path.Length == 0 ? null : path;
        }
    }

    /// <summary>
    /// Reads lines as bytes, without their line end. Commands may end in a bare LF (tolerated), but
    /// mail data lines end only at CRLF (RFC 5321 section 2.3.8): System.Net.Mail passes a body's
    /// bare LFs through, and treating "\n.\n" as the end of the data would cut the message short
    /// (the same confusion as "SMTP smuggling").
    /// </summary>
    private sealed class LineReader(Stream stream)
    {
        private const int MaxLineBytes = 1024 * 1024;
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        public async Task<byte[]?> ReadLineAsync(CancellationToken token, bool crlfOnly = false)
        {
            using var line = new MemoryStream();
            while (true)
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline >= 0)
                {
                    line.Write(_buffer, _start, newline - _start);
                    _start = newline + 1;
                    var bytes = line.ToArray();
                    if (bytes is [.., (byte)'\r'])
                    {
                        return bytes[..^1];
                    }
                    if (!crlfOnly)
                    {
                        return bytes;
                    }
                    line.WriteByte((byte)'\n'); // a bare LF inside a data line
                    continue;
                }

                line.Write(_buffer, _start, _end - _start);
                _start = _end = 0;
                if (line.Length > MaxLineBytes)
                {
                    throw new IOException("An SMTP line longer than 1 MiB; giving up on this client.");
                }
                var read = await stream.ReadAsync(_buffer, token);
                if (read == 0)
                {
                    return line.Length > 0 ? line.ToArray() : null;
                }
                _end = read;
            }
        }
    }
}

/// <summary>
/// A message as the catcher received it. <see cref="From"/> and <see cref="To"/> are the SMTP
/// envelope (MAIL FROM and RCPT TO, so Bcc recipients appear too); <see cref="Subject"/> and the
/// bodies are MIME-decoded, with line ends as "\n" and without the line breaks that only frame the
/// encoded body; <see cref="TextBody"/> is "" when there is no text/plain part; <see cref="Raw"/> is
/// the message as received (after dot-unstuffing), read as UTF-8.
/// </summary>
public sealed partial record CaughtMail(string From, IReadOnlyList<string> To, string Subject, string TextBody, string? HtmlBody, string Raw)
{
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

/// <summary>
/// The slice of MIME (RFC 2045-2047) that mail senders use for text mail: headers with folding and
/// encoded-words, multipart bodies, quoted-printable and base64, charsets.
/// Works on the message as a Latin-1 string, so that every char is exactly one byte of the wire.
/// </summary>
internal static partial class MimeParser
{
    public static CaughtMail Parse(string from, IReadOnlyList<string> to, byte[] raw)
    {
        // Line ends become "\n" throughout: base64 and quoted-printable do not care, text is nicer.
        var wire = Encoding.Latin1.GetString(raw).Replace("\r\n", "\n", StringComparison.Ordinal);
        var root = ParseEntity(wire);

        string? text = null;
        string? html = null;
        Collect(root, ref text, ref html);

        var subject = root.Headers.FirstOrDefault(h => h.Name.Equals("Subject", StringComparison.OrdinalIgnoreCase)).Value;
        return new CaughtMail(
            from,
            to,
            subject is null ? "" : DecodeHeaderValue(subject).Trim(),
            text ?? "",
            html,
            Encoding.UTF8.GetString(raw));
    }

    private sealed record Entity(List<(string Name, string Value)> Headers, string MediaType, Dictionary<string, string> Parameters, string Body, List<Entity> Parts)
    {
        public string? Header(string name) =>
            Headers.FirstOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
    }

    // The first text/plain and the first text/html that are not attachments.
    private static void Collect(Entity entity, ref string? text, ref string? html)
    {
        if (entity.Parts.Count > 0)
        {
            foreach (var part in entity.Parts)
            {
                Collect(part, ref text, ref html);
            }
            return;
        }
        var disposition = entity.Header("Content-Disposition");
        if (disposition is not null && disposition.TrimStart().StartsWith("attachment", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }
        if (entity.MediaType == "text/plain" && text is null)
        {
            text = DecodeBody(entity);
        }
        else if (entity.MediaType == "text/html" && html is null)
        {
            html = DecodeBody(entity);
        }
    }

    private static Entity ParseEntity(string wire)
    {
        // RFC 5322 section 2.1: the header ends at the first empty line.
        string headerText, body;
        if (wire.StartsWith('\n'))
        {
            (headerText, body) = ("", wire[1..]);
        }
        else
        {
            var split = wire.IndexOf("\n\n", StringComparison.Ordinal);
            (headerText, body) = split < 0 ? (wire, "") : (wire[..split], wire[(split + 2)..]);
        }

        var headers = ParseHeaders(headerText);
        var contentType = headers.FirstOrDefault(h => h.Name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value
            ?? "text/plain; charset=us-ascii"; // RFC 2045 section 5.2
        var (mediaType, parameters) = ParseContentType(contentType);

        var parts = new List<Entity>();
        if (mediaType.StartsWith("multipart/", StringComparison.Ordinal) && parameters.TryGetValue("boundary", out var boundary))
        {
            foreach (var part in SplitMultipart(body, boundary))
            {
                parts.Add(ParseEntity(part));
            }
        }
        return new Entity(headers, mediaType, parameters, body, parts);
    }

    // RFC 5322 section 2.2.3: a line starting with white space continues the previous field.
    private static List<(string Name, string Value)> ParseHeaders(string headerText)
    {
        var headers = new List<(string Name, string Value)>();
        foreach (var line in headerText.Split('\n'))
        {
            if (line.Length > 0 && (line[0] == ' ' || line[0] == '\t') && headers.Count > 0)
            {
                var (name, value) = headers[^1];
                headers[^1] = (name, value + line);
                continue;
            }
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                headers.Add((line[..colon].Trim(), line[(colon + 1)..]));
            }
        }
        return headers;
    }

    // "text/plain; charset=\"utf-8\"; format=flowed" => ("text/plain", {charset: utf-8, format: flowed})
    private static (string MediaType, Dictionary<string, string> Parameters) ParseContentType(string value)
    {
        var pieces = SplitOutsideQuotes(value, ';');
        var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var piece in pieces.Skip(1))
        {
            var equals = piece.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }
            var name = piece[..equals].Trim();
            var raw = piece[(equals + 1)..].Trim();
            parameters[name] = raw.Length >= 2 && raw[0] == '"' && raw[^1] == '"' ? Unquote(raw[1..^1]) : raw;
        }
        return (pieces[0].Trim().ToLowerInvariant(), parameters);
    }

    private static List<string> SplitOutsideQuotes(string value, char separator)
    {
        var pieces = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (quoted && c == '\\' && i + 1 < value.Length)
            {
                current.Append(c).Append(value[++i]);
                continue;
            }
            if (c == '"')
            {
                quoted = !quoted;
            }
            if (c == separator && !quoted)
            {
                pieces.Add(current.ToString());
                current.Clear();
                continue;
            }
            current.Append(c);
        }
        pieces.Add(current.ToString());
        return pieces;
    }

    private static string Unquote(string quoted)
    {
        var result = new StringBuilder(quoted.Length);
        for (var i = 0; i < quoted.Length; i++)
        {
            result.Append(quoted[i] == '\\' && i + 1 < quoted.Length ? quoted[++i] : quoted[i]);
        }
        return result.ToString();
    }

    // RFC 2046 section 5.1.1: parts sit between "--boundary" lines, the last one is "--boundary--";
    // the line end before a delimiter belongs to the delimiter, the preamble and epilogue are ignored.
    private static List<string> SplitMultipart(string body, string boundary)
    {
        var delimiter = "--" + boundary;
        var parts = new List<string>();
        List<string>? current = null;
        foreach (var line in body.Split('\n'))
        {
            var trimmed = line.TrimEnd(' ', '\t');
            if (trimmed == delimiter || trimmed == delimiter + "--")
            {
                if (current is not null)
                {
                    parts.Add(string.Join('\n', current));
                }
                if (trimmed != delimiter)
                {
                    return parts;
                }
                current = [];
                continue;
            }
            current?.Add(line);
        }
        if (current is not null)
        {
            parts.Add(string.Join('\n', current)); // no closing delimiter: keep what came
        }
        return parts;
    }

    private static string DecodeBody(Entity entity)
    {
        // Line breaks that end the encoded body are framing, not text: SMTP needs one before the final
        // dot and System.Net.Mail adds another after the body (it encodes the body's own as "=0A" or
        // in base64). So a 7bit body loses its trailing line breaks; nothing else does.
        var body = entity.Body.TrimEnd('\n');
        var transferEncoding = (entity.Header("Content-Transfer-Encoding") ?? "7bit").Trim().ToLowerInvariant();
        var bytes = transferEncoding switch
        {
            "base64" => DecodeBase64(body),
            "quoted-printable" => DecodeQuotedPrintable(body),
            _ => Encoding.Latin1.GetBytes(body),
        };
        entity.Parameters.TryGetValue("charset", out var charset);
        return Charset(charset).GetString(bytes).Replace("\r\n", "\n", StringComparison.Ordinal);
    }

    private static byte[] DecodeBase64(string text)
    {
        // Ignore line breaks and anything else outside the alphabet (RFC 2045 section 6.8).
        var clean = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '+' or '/')
            {
                clean.Append(c);
            }
        }
        if (clean.Length % 4 == 1)
        {
            clean.Length--; // a truncated last character carries no whole byte
        }
        clean.Append('=', (4 - clean.Length % 4) % 4);
        return Convert.FromBase64String(clean.ToString());
    }

    // RFC 2045 section 6.7: "=XX" is a byte, "=" at a line end is a soft break, and trailing white
    // space on a line was added in transport and is dropped. A malformed "=" is kept as it is.
    private static byte[] DecodeQuotedPrintable(string text)
    {
        using var output = new MemoryStream(text.Length);
        var lines = text.Split('\n');
        for (var l = 0; l < lines.Length; l++)
        {
            var line = lines[l].TrimEnd(' ', '\t');
            var softBreak = line.EndsWith('=');
            if (softBreak)
            {
                line = line[..^1];
            }
            for (var i = 0; i < line.Length; i++)
            {
                if (line[i] == '=' && IsHex(line, i + 1))
                {
                    output.WriteByte(byte.Parse(line.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 2;
                }
                else
                {
                    output.WriteByte((byte)line[i]);
                }
            }
            if (!softBreak && l < lines.Length - 1)
            {
                output.WriteByte((byte)'\n');
            }
        }
        return output.ToArray();
    }

    private static bool IsHex(string text, int index) =>
        index + 1 < text.Length && char.IsAsciiHexDigit(text[index]) && char.IsAsciiHexDigit(text[index + 1]);

    /// <summary>
    /// Decodes a header value: RFC 2047 encoded-words ("=?utf-8?B?...?=", "=?utf-8?Q?...?="), where
    /// white space between two adjacent words is dropped (section 6.2), and raw 8-bit text as UTF-8.
    /// Adjacent words in one charset are joined as bytes first, since some senders split a
    /// multi-byte character across two words.
    /// </summary>
    internal static string DecodeHeaderValue(string value)
    {
        var result = new StringBuilder();
        using var pending = new MemoryStream();
        string? pendingCharset = null;
        var position = 0;
        var previousWasWord = false;

        void Flush()
        {
            if (pendingCharset is not null)
            {
                result.Append(Charset(pendingCharset).GetString(pending.ToArray()));
                pending.SetLength(0);
                pendingCharset = null;
            }
        }

        foreach (Match word in EncodedWord().Matches(value))
        {
            var gap = value[position..word.Index];
            var charset = word.Groups["charset"].Value;
            var star = charset.IndexOf('*', StringComparison.Ordinal); // RFC 2231 language suffix
            if (star >= 0)
            {
                charset = charset[..star];
            }
            var bytes = word.Groups["encoding"].Value is "B" or "b"
                ? DecodeBase64(word.Groups["text"].Value)
                : DecodeQEncoding(word.Groups["text"].Value);

            if (!(previousWasWord && string.IsNullOrWhiteSpace(gap)))
            {
                Flush();
                result.Append(DecodeRawHeaderText(gap));
            }
            if (pendingCharset is not null && !pendingCharset.Equals(charset, StringComparison.OrdinalIgnoreCase))
            {
                Flush();
            }
            pendingCharset = charset;
            pending.Write(bytes);
            position = word.Index + word.Length;
            previousWasWord = true;
        }
        Flush();
        result.Append(DecodeRawHeaderText(value[position..]));
        return result.ToString();
    }

    // RFC 2047 section 4.2: "_" is a space, "=XX" a byte.
    private static byte[] DecodeQEncoding(string text)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '_')
            {
                bytes.Add((byte)' ');
            }
            else if (text[i] == '=' && IsHex(text, i + 1))
            {
                bytes.Add(byte.Parse(text.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 2;
            }
            else
            {
                bytes.Add((byte)text[i]);
            }
        }
        return [.. bytes];
    }

    // Unencoded header text is ASCII, or UTF-8 from a client that used SMTPUTF8 (RFC 6532).
    private static string DecodeRawHeaderText(string latin1)
    {
        var bytes = Encoding.Latin1.GetBytes(latin1);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return latin1;
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static Encoding Charset(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return Encoding.UTF8; // US-ASCII is the default (RFC 2045 section 5.2); UTF-8 is a superset
        }
        try
        {
            return Encoding.GetEncoding(name.Trim());
        }
        catch (ArgumentException)
        {
            return Encoding.UTF8; // an unknown charset: UTF-8 is the likeliest
        }
    }

    [GeneratedRegex(@"=\?(?<charset>[^?\s]+)\?(?<encoding>[BbQq])\?(?<text>[^?\s]*)\?=", RegexOptions.CultureInvariant)]
    private static partial Regex EncodedWord();
}
