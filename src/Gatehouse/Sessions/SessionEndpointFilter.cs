using Gatehouse.Configuration;
using Gatehouse.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Sessions;

/// <summary>Marks an endpoint that needs no session (config): nothing is looked up, a dead token is not an error.</summary>
public sealed class NoSessionMetadata;

/// <summary>
/// Runs around every headless endpoint: tells the client kind, enforces CSRF for the browser, resolves
/// the session (410 for a dead app token), and afterwards hands a new token to the client (cookie or
/// <c>meta.session_token</c>) and refreshes the CSRF cookie.
/// </summary>
public sealed partial class SessionEndpointFilter(
    SessionLookup sessions, AuthContext auth, AuthResponses responses, Csrf csrf, ClientIpResolver ipResolver,
    IOptions<SessionOptions> options, ILogger<SessionEndpointFilter> logger) : IEndpointFilter
{
    public const string SessionTokenHeader = "X-Session-Token";
    private readonly SessionOptions _options = options.Value;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var endpoint = http.GetEndpoint();
        auth.Client = endpoint?.Metadata.GetMetadata<ClientKindMetadata>()?.Kind ?? ClientKind.App;
        auth.Ip = ipResolver.Resolve(http);
        var userAgent = http.Request.Headers.UserAgent.ToString();
        auth.UserAgent = userAgent.Length > 512 ? userAgent[..512] : userAgent;

        if (auth.Client == ClientKind.Browser && csrf.Check(http) is { } reason)
        {
            Log.CsrfRejected(logger, reason);
            csrf.WriteCookie(http, rotate: false);
            return ApiResult.Forbidden(new ApiError("CSRF verification failed. Request aborted.", ErrorCodes.CsrfFailed));
        }

        if (endpoint?.Metadata.GetMetadata<NoSessionMetadata>() is null)
        {
            var gone = await ResolveSessionAsync(http);
            if (gone)
            {
                return responses.SessionGone();
            }
        }

        var result = await next(context);

        if (auth.Client == ClientKind.Browser)
        {
            WriteBrowserCookies(http);
        }
        else if (auth.IssuedToken is not null && result is ApiResult api)
        {
            api.SessionToken = auth.IssuedToken;
        }
        return result;
    }

    /// <summary>Returns true when an app client sent a token that is unknown, expired or ended.</summary>
    private async Task<bool> ResolveSessionAsync(HttpContext http)
    {
        if (auth.Client == ClientKind.App)
        {
            // The app client never uses cookies; the browser client ignores X-Session-Token.
            var token = http.Request.Headers[SessionTokenHeader].ToString();
            if (token.Length == 0)
            {
                return false;
            }
            auth.Session = token.Length <= 128 ? await sessions.FindAsync(token, ClientKind.App, http.RequestAborted) : null;
            return auth.Session is null;
        }

        var cookie = http.Request.Cookies[_options.CookieName];
        if (!string.IsNullOrEmpty(cookie))
        {
            auth.Session = cookie.Length <= 128 ? await sessions.FindAsync(cookie, ClientKind.Browser, http.RequestAborted) : null;
            if (auth.Session is null)
            {
                auth.SessionEnded = true; // clear a stale cookie
            }
        }
        return false;
    }

    private void WriteBrowserCookies(HttpContext http)
    {
        csrf.WriteCookie(http, auth.RotateCsrf);
        if (auth.IssuedToken is not null)
        {
            http.Response.Cookies.Append(_options.CookieName, auth.IssuedToken, new CookieOptions
            {
                HttpOnly = true,
                SameSite = _options.CookieSameSite,
                Path = "/",
                MaxAge = _options.Lifetime,
                Expires = DateTimeOffset.UtcNow + _options.Lifetime,
                Domain = _options.CookieDomain,
                Secure = _options.SecureFor(http.Request),
            });
        }
        else if (auth.SessionEnded)
        {
            // The same attributes as when it was set: a browser keeps a SameSite=None cookie unless the delete is Secure too.
            http.Response.Cookies.Delete(_options.CookieName, new CookieOptions
            {
                Path = "/", Domain = _options.CookieDomain, SameSite = _options.CookieSameSite, Secure = _options.SecureFor(http.Request),
            });
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "CSRF check failed: {Reason}")]
        public static partial void CsrfRejected(ILogger logger, string reason);
    }
}
