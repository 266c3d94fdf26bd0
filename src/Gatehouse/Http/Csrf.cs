using System.Text;
using Gatehouse.Configuration;
using Gatehouse.Security;
using Microsoft.Extensions.Options;

namespace Gatehouse.Http;

/// <summary>
/// Django's CSRF protection as allauth's browser clients expect it: a script-readable <c>csrftoken</c>
/// cookie, echoed in <c>X-CSRFToken</c> on unsafe methods, and a foreign <c>Origin</c> refused.
/// </summary>
public sealed class Csrf(IOptions<SessionOptions> sessionOptions, IOptions<HttpOptions> httpOptions)
{
    private readonly SessionOptions _options = sessionOptions.Value;
    private readonly HashSet<string> _trustedOrigins = new(
        sessionOptions.Value.CsrfTrustedOrigins.Concat(httpOptions.Value.CorsOrigins).Select(o => o.TrimEnd('/')),
        StringComparer.OrdinalIgnoreCase);

    private static readonly TimeSpan CookieAge = TimeSpan.FromSeconds(31449600); // Django's CSRF_COOKIE_AGE: one year

    public static bool IsUnsafe(string method) =>
        !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method));

    /// <summary>
    /// Null when the request passes; otherwise the reason (kept for logs, never sent to the client).
    /// <paramref name="safeMethodsToo"/>: for a GET that changes state (one that starts a ceremony).
    /// </summary>
    public string? Check(HttpContext context, bool safeMethodsToo = false)
    {
        var request = context.Request;
        if (!safeMethodsToo && !IsUnsafe(request.Method))
        {
            return null;
        }
        if (request.Headers.Origin is { Count: > 0 } origin && !IsAllowedOrigin(request, origin.ToString()))
        {
            return "Origin checking failed: it does not match any trusted origins.";
        }
        var cookie = request.Cookies[_options.CsrfCookieName];
        if (string.IsNullOrEmpty(cookie))
        {
            return "CSRF cookie not set.";
        }
        var header = request.Headers[_options.CsrfHeaderName].ToString();
        if (string.IsNullOrEmpty(header))
        {
            return "CSRF token missing.";
        }
        if (!Secrets.FixedTimeEquals(Encoding.UTF8.GetBytes(cookie), Encoding.UTF8.GetBytes(header)))
        {
            return "CSRF token incorrect.";
        }
        return null;
    }

    /// <summary>An unsafe request whose Origin header names neither this server nor a trusted origin.</summary>
    public bool IsForeignOrigin(HttpContext context) =>
        IsUnsafe(context.Request.Method) && context.Request.Headers.Origin is { Count: > 0 } origin && !IsAllowedOrigin(context.Request, origin.ToString());

    private bool IsAllowedOrigin(HttpRequest request, string origin)
    {
        var own = $"{request.Scheme}://{request.Host}";
        return string.Equals(origin, own, StringComparison.OrdinalIgnoreCase) || _trustedOrigins.Contains(origin.TrimEnd('/'));
    }

    /// <summary>Sets the cookie on every browser response, with a new token when missing, malformed or rotated.</summary>
    public void WriteCookie(HttpContext context, bool rotate)
    {
        var current = context.Request.Cookies[_options.CsrfCookieName];
        var token = rotate || !IsWellFormed(current) ? Secrets.NewSessionToken() : current!;
        context.Response.Cookies.Append(_options.CsrfCookieName, token, new CookieOptions
        {
            HttpOnly = false, // the SPA reads it to echo it in X-CSRFToken
            SameSite = _options.CookieSameSite,
            Path = "/",
            MaxAge = CookieAge,
            Expires = DateTimeOffset.UtcNow + CookieAge,
            Domain = _options.CookieDomain,
            Secure = _options.SecureFor(context.Request),
        });
    }

    private static bool IsWellFormed(string? token) =>
        token is { Length: >= 32 and <= 64 } && token.All(char.IsAsciiLetterOrDigit);
}
