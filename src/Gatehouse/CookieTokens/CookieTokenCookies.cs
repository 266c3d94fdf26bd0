using Gatehouse.Tokens;
using Microsoft.Extensions.Options;
using SessionOptions = Gatehouse.Configuration.SessionOptions;

namespace Gatehouse.CookieTokens;

/// <summary>
/// Writes and clears the cookie endpoints' cookies. All are HttpOnly (script never reads a token); Secure, Domain
/// and SameSite (Lax by default) are those of the session cookie (<c>Gatehouse:Sessions</c>), so Secure is on
/// outside Development whatever scheme a request shows. The access cookie has path <c>/</c> because the host's
/// API reads it; the refresh and pending-login cookies have the endpoints' prefix as their path, so no other
/// request of the site ever carries them.
/// </summary>
public sealed class CookieTokenCookies(IOptions<CookieTokenOptions> options, IOptions<SessionOptions> sessions, IOptions<TokenOptions> tokens, TimeProvider time)
{
    private readonly CookieTokenOptions _options = options.Value;
    private readonly SessionOptions _sessions = sessions.Value;
    private readonly TokenOptions _tokens = tokens.Value;

    public string? ReadAccess(HttpRequest request) => Read(request, _options.AccessCookieName);
    public string? ReadRefresh(HttpRequest request) => Read(request, _options.RefreshCookieName);
    public string? ReadPending(HttpRequest request) => Read(request, _options.PendingCookieName);

    /// <summary>The access cookie and, when the refresh rotated (or the login is new), the refresh cookie.</summary>
    public void WritePair(HttpContext http, string access, string? refresh)
    {
        Append(http, _options.AccessCookieName, access, "/", _tokens.AccessTokenLifetime);
        if (refresh is not null)
        {
            Append(http, _options.RefreshCookieName, refresh, _options.Prefix, _tokens.RefreshTokenLifetime);
        }
    }

    public void WritePending(HttpContext http, string sessionToken, TimeSpan lifetime) =>
        Append(http, _options.PendingCookieName, sessionToken, _options.Prefix, lifetime);

    public void ClearPending(HttpContext http) => Delete(http, _options.PendingCookieName, _options.Prefix);

    /// <summary>Every cookie of the feature (logout, a refused or reused refresh token).</summary>
    public void ClearAll(HttpContext http)
    {
        Delete(http, _options.AccessCookieName, "/");
        Delete(http, _options.RefreshCookieName, _options.Prefix);
        Delete(http, _options.PendingCookieName, _options.Prefix);
    }

    /// <summary>Longer values are never tokens we issued: treated as absent, without a query.</summary>
    private static string? Read(HttpRequest request, string name) =>
        request.Cookies[name] is { Length: > 0 and <= AccessTokenValidator.MaxTokenLength } value ? value : null;

    private void Append(HttpContext http, string name, string value, string path, TimeSpan lifetime) =>
        http.Response.Cookies.Append(name, value, new CookieOptions
        {
            HttpOnly = true,
            Secure = _sessions.SecureFor(http.Request),
            SameSite = _sessions.CookieSameSite,
            Domain = _sessions.CookieDomain,
            Path = path,
            MaxAge = lifetime,
            Expires = time.GetUtcNow() + lifetime,
        });

    // The same attributes as when it was set: a browser keeps a SameSite=None cookie unless the delete is Secure too.
    private void Delete(HttpContext http, string name, string path) =>
        http.Response.Cookies.Delete(name, new CookieOptions
        {
            HttpOnly = true,
            Secure = _sessions.SecureFor(http.Request),
            SameSite = _sessions.CookieSameSite,
            Domain = _sessions.CookieDomain,
            Path = path,
        });
}
