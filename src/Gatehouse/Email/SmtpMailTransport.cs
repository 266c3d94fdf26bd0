using System.Net;
using System.Net.Mail;
using System.Net.Mime;
using System.Text;
using Gatehouse.Configuration;
using Gatehouse.Storage.Entities;
using Microsoft.Extensions.Options;

namespace Gatehouse.Email;

/// <summary>SMTP delivery with System.Net.Mail (MailKit does not restore here): text plus an HTML alternative.</summary>
public sealed class SmtpMailTransport(IOptions<EmailOptions> options) : IMailTransport
{
    public async Task SendAsync(OutboxMessage message, CancellationToken ct)
    {
        var settings = options.Value;
        var smtp = settings.Smtp;
        using var mail = new MailMessage
        {
            From = new MailAddress(settings.From),
            Subject = message.Subject,
            SubjectEncoding = Encoding.UTF8,
            Body = message.TextBody,
            BodyEncoding = Encoding.UTF8,
            IsBodyHtml = false,
        };
        mail.To.Add(new MailAddress(message.ToAddress));
        if (message.HtmlBody is not null)
        {
            mail.AlternateViews.Add(AlternateView.CreateAlternateViewFromString(message.HtmlBody, Encoding.UTF8, MediaTypeNames.Text.Html));
        }
        using var client = new SmtpClient(smtp.Host, smtp.Port)
        {
            EnableSsl = smtp.EnableSsl,
            DeliveryMethod = SmtpDeliveryMethod.Network,
            Timeout = (int)smtp.Timeout.TotalMilliseconds,
        };
        if (!string.IsNullOrEmpty(smtp.Username))
        {
            client.Credentials = new NetworkCredential(smtp.Username, smtp.Password);
        }
        await client.SendMailAsync(mail, ct);
    }
}
