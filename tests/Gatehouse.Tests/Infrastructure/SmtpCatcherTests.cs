using System.Net.Mail;
using System.Net.Mime;
using System.Net.Sockets;
using System.Text;

namespace Gatehouse.Tests.Infrastructure;

// The catcher is tested with the client the product sends with: System.Net.Mail.SmtpClient.
public sealed class SmtpCatcherTests : IAsyncLifetime
{
    private SmtpCatcher _catcher = null!;

    public Task InitializeAsync()
    {
        _catcher = SmtpCatcher.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _catcher.DisposeAsync();

    [Fact]
    public async Task PlainTextMail_IsCaughtWithEnvelopeSubjectAndBody()
    {
        using var message = new MailMessage("noreply@gatehouse.test", "alice@example.com", "Please confirm", "Hello Alice,\nplease confirm.\n");
        message.Bcc.Add("audit@example.com");

        await SendAsync(message);

        var mail = Assert.Single(_catcher.Messages);
        Assert.Equal("noreply@gatehouse.test", mail.From);
        Assert.Equal(["alice@example.com", "audit@example.com"], mail.To);
        Assert.Equal("Please confirm", mail.Subject);
        Assert.Equal("Hello Alice,\nplease confirm.\n", mail.TextBody);
        Assert.Null(mail.HtmlBody);
        Assert.Contains("Subject: Please confirm", mail.Raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TextWithHtmlAlternateView_GivesBothBodies()
    {
        using var message = new MailMessage("noreply@gatehouse.test", "bob@example.com")
        {
            Subject = "Reset your password",
            Body = "Open https://gatehouse.test/reset/abc123 to reset.",
        };
        message.AlternateViews.Add(AlternateView.CreateAlternateViewFromString(
            "<p>Open <a href=\"https://gatehouse.test/reset/abc123\">this link</a> to reset.</p>", Encoding.UTF8, MediaTypeNames.Text.Html));

        await SendAsync(message);

        var mail = Assert.Single(_catcher.Messages);
        Assert.Contains("multipart/alternative", mail.Raw, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("Open https://gatehouse.test/reset/abc123 to reset.", mail.TextBody);
        Assert.Equal("<p>Open <a href=\"https://gatehouse.test/reset/abc123\">this link</a> to reset.</p>", mail.HtmlBody);
        Assert.Equal("https://gatehouse.test/reset/abc123", mail.FirstUrl());
    }

    [Theory]
    [InlineData(TransferEncoding.Base64)]
    [InlineData(TransferEncoding.QuotedPrintable)]
    public async Task NonAsciiSubjectAndBodies_AreDecoded(TransferEncoding bodyEncoding)
    {
        // Long enough that the encoded subject is folded over several lines.
        var subject = string.Concat(Enumerable.Repeat("Grüße ✓ aus Zürich, ", 5)).Trim();
        var text = "Grüße ✓\nZweite Zeile: äöü ß € 🙂 and a long line " + new string('x', 120) + " end\n";
        var html = "<p>Grüße ✓ — ünïcödé</p>";
        using var message = new MailMessage("noreply@gatehouse.test", "juergen@example.com")
        {
            Subject = subject,
            SubjectEncoding = Encoding.UTF8,
            Body = text,
            BodyEncoding = Encoding.UTF8,
            BodyTransferEncoding = bodyEncoding,
        };
        var view = AlternateView.CreateAlternateViewFromString(html, Encoding.UTF8, MediaTypeNames.Text.Html);
        view.TransferEncoding = bodyEncoding;
        message.AlternateViews.Add(view);

        await SendAsync(message);

        var mail = Assert.Single(_catcher.Messages);
        Assert.Contains("=?utf-8?", mail.Raw, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(subject, mail.Subject);
        Assert.Equal(text, mail.TextBody);
        Assert.Equal(html, mail.HtmlBody);
    }

    [Fact]
    public async Task InternationalAddresses_AreAcceptedOverSmtpUtf8()
    {
        using var message = new MailMessage("noreply@gatehouse.test", "jürgen@bücher.example", "Grüße ✓", "Hallo ✓");

        await SendAsync(message, SmtpDeliveryFormat.International);

        var mail = Assert.Single(_catcher.Messages);
        Assert.Equal(["jürgen@bücher.example"], mail.To);
        Assert.Equal("Grüße ✓", mail.Subject);
        Assert.Equal("Hallo ✓", mail.TextBody);
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\n")] // SmtpClient sends a body's bare LFs as they are; "\n.\n" must not end the data
    public async Task LinesStartingWithADot_AreUnstuffed(string newline)
    {
        var body = string.Join(newline, ".hidden", "..two", ".", "end");
        using var message = new MailMessage("noreply@gatehouse.test", "carol@example.com", "Dots", body)
        {
            BodyTransferEncoding = TransferEncoding.SevenBit,
        };

        await SendAsync(message);

        var mail = Assert.Single(_catcher.Messages);
        Assert.Equal(".hidden\n..two\n.\nend", mail.TextBody);
    }

    [Fact]
    public async Task TwoMessagesInOneConnection_AreBothCaught()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(_catcher.Host, _catcher.Port);
        await using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII);
        await using var writer = new StreamWriter(stream, Encoding.ASCII) { NewLine = "\r\n", AutoFlush = true };

        async Task<string> Say(string line)
        {
            await writer.WriteLineAsync(line);
            return await ReadReplyAsync(reader);
        }

        Assert.StartsWith("220 ", await ReadReplyAsync(reader), StringComparison.Ordinal);
        Assert.StartsWith("250", await Say("EHLO tester"), StringComparison.Ordinal);
        Assert.StartsWith("503", await Say("RCPT TO:<early@example.com>"), StringComparison.Ordinal);

        Assert.StartsWith("250", await Say("MAIL FROM:<a@example.com>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await Say("RCPT TO:<one@example.com>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await Say("DATA"), StringComparison.Ordinal);
        Assert.StartsWith("250", await Say("Subject: First\r\n\r\n..dot first\r\nbody one\r\n."), StringComparison.Ordinal);

        Assert.StartsWith("250", await Say("MAIL FROM:<dropped@example.com>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await Say("RSET"), StringComparison.Ordinal);
        Assert.StartsWith("250", await Say("NOOP"), StringComparison.Ordinal);
        Assert.StartsWith("503", await Say("DATA"), StringComparison.Ordinal);

        Assert.StartsWith("250", await Say("MAIL FROM:<b@example.com> BODY=8BITMIME"), StringComparison.Ordinal);
        Assert.StartsWith("250", await Say("RCPT TO:<two@example.com>"), StringComparison.Ordinal);
        Assert.StartsWith("250", await Say("RCPT TO:<three@example.com>"), StringComparison.Ordinal);
        Assert.StartsWith("354", await Say("DATA"), StringComparison.Ordinal);
        Assert.StartsWith("250", await Say("Subject: Second\r\n\r\nbody two\r\n."), StringComparison.Ordinal);
        Assert.StartsWith("221", await Say("QUIT"), StringComparison.Ordinal);

        var messages = _catcher.Messages;
        Assert.Equal(2, messages.Count);
        Assert.Equal(("a@example.com", "First", ".dot first\nbody one"), (messages[0].From, messages[0].Subject, messages[0].TextBody));
        Assert.Equal(["one@example.com"], messages[0].To);
        Assert.Equal(("b@example.com", "Second", "body two"), (messages[1].From, messages[1].Subject, messages[1].TextBody));
        Assert.Equal(["two@example.com", "three@example.com"], messages[1].To);
    }

    [Fact]
    public async Task RejectMail_MakesSmtpClientThrow_AndStoresNothing()
    {
        _catcher.RejectMail = true;
        using (var rejected = new MailMessage("noreply@gatehouse.test", "dave@example.com", "Nope", "body"))
        {
            var error = await Assert.ThrowsAnyAsync<SmtpException>(() => SendAsync(rejected));
            Assert.Equal(SmtpStatusCode.LocalErrorInProcessing, error.StatusCode); // 451
        }
        Assert.Empty(_catcher.Messages);

        _catcher.RejectMail = false;
        using var accepted = new MailMessage("noreply@gatehouse.test", "dave@example.com", "Yes", "body");
        await SendAsync(accepted);
        Assert.Equal("Yes", Assert.Single(_catcher.Messages).Subject);
    }

    [Fact]
    public async Task WaitForMail_ReturnsAMailThatArrivesLater()
    {
        var waiting = _catcher.WaitForMailAsync(m => m.To.Contains("erin@example.com"));
        Assert.False(waiting.IsCompleted);

        using var other = new MailMessage("noreply@gatehouse.test", "frank@example.com", "Not this one", "body");
        await SendAsync(other);
        using var wanted = new MailMessage("noreply@gatehouse.test", "erin@example.com", "Your code", "Your code:\n\n  ABCD-1234  \n\nIt expires soon.");
        await SendAsync(wanted);

        var mail = await waiting;
        Assert.Equal("Your code", mail.Subject);
        Assert.Equal("ABCD-1234", mail.CodeLine());
        Assert.Same(mail, await _catcher.WaitForMailAsync(m => m.Subject == "Your code"));
    }

    [Fact]
    public async Task WaitForMail_TimesOut_NamingWhatArrived()
    {
        using var message = new MailMessage("noreply@gatehouse.test", "grace@example.com", "Welcome", "secret link https://gatehouse.test/k/SECRET");
        await SendAsync(message);

        var error = await Assert.ThrowsAsync<TimeoutException>(
            () => _catcher.WaitForMailAsync(m => m.Subject == "Something else", TimeSpan.FromMilliseconds(200)));

        Assert.Contains("\"Welcome\" to grace@example.com", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clear_ForgetsReceivedMail()
    {
        using var message = new MailMessage("noreply@gatehouse.test", "heidi@example.com", "One", "body");
        await SendAsync(message);
        Assert.Single(_catcher.Messages);

        _catcher.Clear();

        Assert.Empty(_catcher.Messages);
    }

    [Theory]
    [InlineData("=?utf-8?B?R3LDvA==?=\r\n =?utf-8?B?w59lIOKckw==?=", "Grüße ✓")] // a character split across two words
    [InlineData("=?UTF-8?Q?Gr=C3=BC=C3=9Fe_=E2=9C=93?= and =?iso-8859-1?q?=E4?=", "Grüße ✓ and ä")]
    [InlineData("plain text", "plain text")]
    [InlineData("=?utf-8?B?not closed", "=?utf-8?B?not closed")]
    public void HeaderValues_DecodeEncodedWords(string raw, string expected)
    {
        Assert.Equal(expected, MimeParser.DecodeHeaderValue(raw.Replace("\r\n", "", StringComparison.Ordinal)));
    }

    [Fact]
    public void FirstUrl_ThrowsWhenThereIsNone_AndCodeLineIsNullWithoutACode()
    {
        var mail = new CaughtMail("a@b", ["c@d"], "Hi", "Just text.\n------\nWELCOME to the site", null, "");

        Assert.Throws<InvalidOperationException>(() => mail.FirstUrl());
        Assert.Null(mail.CodeLine());
        Assert.Equal("123456", (mail with { TextBody = "Code:\n123456\n" }).CodeLine());
        Assert.Equal("https://x.test/a?b=c", (mail with { TextBody = "Go to https://x.test/a?b=c." }).FirstUrl());
    }

    private async Task SendAsync(MailMessage message, SmtpDeliveryFormat format = SmtpDeliveryFormat.SevenBit)
    {
        using var client = new SmtpClient(_catcher.Host, _catcher.Port)
        {
            DeliveryMethod = SmtpDeliveryMethod.Network,
            DeliveryFormat = format,
            EnableSsl = false,
            Timeout = 10_000,
        };
        await client.SendMailAsync(message);
    }

    // A reply may span lines ("250-...", last "250 ..."): RFC 5321 section 4.2.1.
    private static async Task<string> ReadReplyAsync(StreamReader reader)
    {
        var reply = new StringBuilder();
        while (true)
        {
            var line = await reader.ReadLineAsync() ?? throw new IOException("The server closed the connection.");
            reply.AppendLine(line);
            if (line.Length < 4 || line[3] != '-')
            {
                return reply.ToString();
            }
        }
    }
}
