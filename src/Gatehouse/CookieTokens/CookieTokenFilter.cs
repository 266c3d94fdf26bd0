using System.Globalization;
using Gatehouse.Http;
using Gatehouse.Security.Passwords;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Microsoft.Extensions.Logging;

namespace Gatehouse.CookieTokens;

/// <summary>Marks a cookie endpoint that a cookie authenticates (token/2fa/, token/refresh/, logout/): it needs the CSRF pair.</summary>
public sealed class CookieAuthenticatedMetadata;

/// <summary>
/// A GET that changes state (token/2fa/webauthn/ replaces the pending login's ceremony): it needs the CSRF pair like
/// a POST, or a cross-site navigation could replace the options a user is answering and burn their attempts.
/// </summary>
public sealed class CsrfOnSafeMethodsMetadata;

/// <summary>
/// Runs around every cookie endpoint, as <see cref="SessionEndpointFilter"/> runs around allauth's: fills the
/// request's <see cref="AuthContext"/> for the account flows (an app-kind session, since the session token itself is
/// never handed out, only tokens derived from it), checks CSRF, answers a body that is not JSON, a lost race and a
/// full hashing queue in DRF's shape, and keeps the <c>csrftoken</c> cookie set (rotated at login) so a SPA always
/// has the value to echo.
/// </summary>
public sealed partial class CookieTokenFilter(AuthContext auth, Csrf csrf, ClientIpResolver ipResolver, ILogger<CookieTokenFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        auth.Client = ClientKind.App;
        auth.IssuesRefreshTokens = true; // a login here answers a token pair in cookies
        auth.Http = http;
        auth.Ip = ipResolver.Resolve(http);
        var userAgent = http.Request.Headers.UserAgent.ToString();
        auth.UserAgent = userAgent.Length > 512 ? userAgent[..512] : userAgent;

        object? result = CheckCsrf(http);
        if (result is null)
        {
            foreach (var argument in context.Arguments)
            {
                if (argument is JsonInput { BodyError: { } bodyError })
                {
                    // DRF's ParseError: {"detail": "JSON parse error - ..."}; the reason as our reader words it.
                    result = DrfResult.Detail(bodyError.Status, (bodyError.Errors.Count > 0 ? bodyError.Errors[0].Message : null) ?? "JSON parse error.");
                }
            }
        }
        if (result is null)
        {
            try
            {
                result = await next(context);
            }
            catch (Exception ex) when (DatabaseConflict.IsLostRace(ex))
            {
                // A double submit or two requests racing on one row: the other request won, nothing of this one committed.
                Log.LostRace(logger, http.Request.Method, http.Request.Path.Value ?? "");
                auth.RotateCsrf = false;
                result = DrfResult.Detail(StatusCodes.Status409Conflict, "The request conflicted with a concurrent one; try again.");
            }
            catch (Exception ex) when (DatabaseConflict.IsBusy(ex))
            {
                // SQLite's single writer stayed busy past its busy timeout (SessionEndpointFilter answers the same).
                http.Response.Headers.RetryAfter = "1";
                auth.RotateCsrf = false;
                result = DrfResult.Detail(StatusCodes.Status503ServiceUnavailable, "The server is busy; try again shortly.");
            }
            catch (HashingQueueFullException busy)
            {
                // Load shedding by the password-hashing queue (ApiFallbackMiddleware answers it so for allauth's routes).
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(busy.ExpectedWait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                auth.RotateCsrf = false;
                result = DrfResult.Detail(StatusCodes.Status503ServiceUnavailable, "The server is busy; try again shortly.");
            }
        }
        csrf.WriteCookie(http, auth.RotateCsrf);
        return result;
    }

    /// <summary>
    /// Every unsafe request: a foreign Origin is refused. A cookie-authenticated one also needs Django's pair, the
    /// <c>csrftoken</c> cookie echoed in <c>X-CSRFToken</c> (as allauth's browser client sends it). Login and
    /// register carry no credential cookie, so SimpleJWT's views need no token there; the Origin check still stops
    /// a cross-site form from logging a browser in to someone else's account.
    /// </summary>
    private DrfResult? CheckCsrf(HttpContext http)
    {
        var metadata = http.GetEndpoint()?.Metadata;
        var reason = csrf.Check(http, safeMethodsToo: metadata?.GetMetadata<CsrfOnSafeMethodsMetadata>() is not null);
        if (reason is null)
        {
            return null;
        }
        var needsPair = metadata?.GetMetadata<CookieAuthenticatedMetadata>() is not null;
        if (!needsPair && !csrf.IsForeignOrigin(http))
        {
            return null;
        }
        Log.CsrfRejected(logger, reason);
        // DRF's SessionAuthentication answers "CSRF Failed: <reason>"; the reason stays in the log.
        return DrfResult.Detail(StatusCodes.Status403Forbidden, "CSRF Failed: CSRF token missing or incorrect.", ErrorCodes.CsrfFailed);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Cookie token endpoint refused by the CSRF check: {Reason}")]
        public static partial void CsrfRejected(ILogger logger, string reason);

        [LoggerMessage(2, LogLevel.Information, "{Method} {Path} lost a race with a concurrent request; answered 409")]
        public static partial void LostRace(ILogger logger, string method, string path);
    }
}
