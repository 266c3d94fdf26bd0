using Gatehouse.Configuration;
using Gatehouse.Security;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.Extensions.Options;

namespace Gatehouse.Email;

/// <summary>
/// Puts mail in the outbox, inside the caller's unit of work: the mail exists exactly when the change
/// that causes it commits, and the worker sends it afterwards.
/// </summary>
public sealed class Mailer
{
    private readonly GatehouseDbContext _db;
    private readonly TimeProvider _time;
    private readonly EmailOptions _options;
    private readonly AuthContext _auth;
    private readonly FrontendOptions _frontend;
    private readonly SecretBox _box;

    public Mailer(GatehouseDbContext db, TimeProvider time, IOptions<EmailOptions> options, IOptions<FrontendOptions> frontend,
        AuthContext auth, SecretBox box)
    {
        _box = box;
        _db = db;
        _time = time;
        _options = options.Value;
        _frontend = frontend.Value;
        _auth = auth;
    }

    /// <summary>
    /// The purposes outbox bodies are sealed for; each is also bound to the recipient, so a body opens
    /// only in a row addressed to whom it was written for.
    /// </summary>
    public const string TextBodyPurpose = "outbox.text_body";
    public const string HtmlBodyPurpose = "outbox.html_body";

    public FrontendOptions FrontendUrls => _frontend;

    /// <summary>
    /// Notices: mails that any requester can cause to an address they need not control (a signup with an
    /// address that has an account, a reset or code request for one that has none). They carry no secret,
    /// so one per address and kind within <see cref="EmailOptions.NoticeCooldown"/> tells the owner all
    /// there is to tell, and more would let anyone flood the mailbox. Mails that carry a code or a link
    /// key are not throttled here: dropping one would leave its requester with a code that never
    /// arrives; the per-address rate limits of those requests bound them.
    /// </summary>
    internal static readonly IReadOnlySet<string> NoticeTemplates = new HashSet<string>(StringComparer.Ordinal)
    {
        "account_already_exists",
        "unknown_account",
    };

    /// <summary>A DNS name with an optional port is at most 253 + 6 characters; longer is not a host.</summary>
    private const int MaxHostLength = 259;

    public void Enqueue(string to, string template, Dictionary<string, string> values)
    {
        var site = SiteName();
        values.TryAdd("site_name", site);
        values.TryAdd("site_domain", site);
        var mail = MailTemplates.Render(template, values);
        var now = _time.GetUtcNow().UtcDateTime;
        _db.OutboxMessages.Add(new OutboxMessage
        {
            ToAddress = to,
            // A long configured site name must not make the row fail to save (the column holds 998, the
            // line limit of RFC 5322 section 2.1.1).
            Subject = mail.Subject.Length > OutboxMessage.SubjectMaxLength ? mail.Subject[..OutboxMessage.SubjectMaxLength] : mail.Subject,
            CooldownKey = NoticeTemplates.Contains(template) ? Secrets.Sha256Hex($"mail_cooldown|{template}|{to.ToLowerInvariant()}") : null,
            // Bodies carry links and codes: sealed at rest, wiped once delivered.
            TextBody = _box.Seal(mail.Text, TextBodyPurpose, to),
            HtmlBody = _box.Seal(mail.Html, HtmlBodyPurpose, to),
            CreatedAt = now,
            NextAttemptAt = now,
        });
    }

    /// <summary>
    /// The site's name: configured, else the frontend's host (BaseUrl, else the host of an http(s) page template), else
    /// (Development only: elsewhere start-up requires SiteName, BaseUrl or an http(s) template) the request's host. The Host header
    /// is the client's to choose, so outside Development it never names the site in a genuine mail.
    /// </summary>
    public string SiteName() =>
        _options.SiteName ?? FrontendHost() ?? RequestHost(_auth.Http?.Request.Host);

    private string? FrontendHost() =>
        _frontend.BaseUrl is { } baseUrl ? new Uri(baseUrl).Authority : _frontend.WebHost();

    /// <summary>
    /// The request's host as a site name (Development only: elsewhere start-up requires a site name from the settings). The Host
    /// header is the client's to choose, so anything that is not a plausible host name is not used.
    /// </summary>
    private static string RequestHost(HostString? header) =>
        header is { } host && IsPlausibleHost(host) ? host.Value! : "localhost";

    private static bool IsPlausibleHost(HostString host) =>
        host.HasValue && host.Value.Length <= MaxHostLength && Uri.CheckHostName(host.Host) != UriHostNameType.Unknown;

    /// <summary>
    /// Tells the owner of an address that has no account that someone tried to use it, instead of
    /// telling the requester (enumeration prevention).
    /// </summary>
    public void EnqueueUnknownAccount(string normalizedEmail) =>
        Enqueue(normalizedEmail, "unknown_account", new()
        {
            ["email"] = normalizedEmail,
            ["signup_url"] = Link(_frontend.AccountSignup),
        });

    /// <summary>
    /// A link for a mail from one of the frontend URL templates; a relative template is joined to
    /// <see cref="FrontendOptions.BaseUrl"/> (in Development, to the request's scheme and host). The key
    /// is percent-encoded.
    /// </summary>
    public string Link(string template, string? key = null)
    {
        var path = key is null ? template : template.Replace("{key}", Uri.EscapeDataString(key), StringComparison.Ordinal);
        if (FrontendOptions.IsAbsolute(path))
        {
            return path;
        }
        var origin = _frontend.BaseUrl?.TrimEnd('/') ?? RequestOrigin(_auth.Http?.Request);
        return origin + (path.StartsWith('/') ? path : "/" + path);
    }

    /// <summary>
    /// The request's scheme and host as a link's origin (Development only). The host goes through the site name's
    /// check, falling back to localhost as it does: a client-chosen Host that is overlong or no host name must not
    /// become the origin of a link in a genuine mail.
    /// </summary>
    private static string RequestOrigin(HttpRequest? request) =>
        request is null ? "http://localhost" : $"{request.Scheme}://{(IsPlausibleHost(request.Host) ? request.Host.ToString() : "localhost")}";
}
