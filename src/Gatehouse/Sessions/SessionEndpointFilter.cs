using System.Data.Common;
using Gatehouse.Configuration;
using Gatehouse.Http;
using Gatehouse.Storage;
using Gatehouse.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Sessions;

/// <summary>Marks an endpoint that needs no session (config): nothing is looked up, a dead token is not an error.</summary>
public sealed class NoSessionMetadata;

/// <summary>
/// Runs around every headless endpoint: tells the client kind, enforces CSRF for the browser, takes the
/// session from the <see cref="SessionAuthenticationHandler"/> (410 for a dead app token), turns a lost race
/// into a 409, and afterwards hands a new session to the client: the cookie (browser) or the token
/// strategy's <c>meta</c> members (app), and refreshes the CSRF cookie.
/// </summary>
public sealed partial class SessionEndpointFilter(
    AuthContext auth, AuthResponses responses, Csrf csrf, ClientIpResolver ipResolver, ITokenStrategy tokens,
    IOptions<SessionOptions> options, TimeProvider time, ILogger<SessionEndpointFilter> logger) : IEndpointFilter
{
    public const string SessionTokenHeader = SessionTokenStrategy.Header;
    private readonly SessionOptions _options = options.Value;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var endpoint = http.GetEndpoint();
        auth.Client = endpoint?.Metadata.GetMetadata<ClientKindMetadata>()?.Kind ?? ClientKind.App;
        auth.IssuesRefreshTokens = auth.Client == ClientKind.App && tokens.IssuesRefreshTokens;
        auth.Http = http;
        auth.Ip = ipResolver.Resolve(http);
        var userAgent = http.Request.Headers.UserAgent.ToString();
        auth.UserAgent = userAgent.Length > 512 ? userAgent[..512] : userAgent;

        if (auth.Client == ClientKind.Browser && csrf.Check(http) is { } reason)
        {
            Log.CsrfRejected(logger, reason);
            csrf.WriteCookie(http, rotate: false);
            return ApiResult.Forbidden(ApiErrors.CsrfFailed());
        }

        if (endpoint?.Metadata.GetMetadata<NoSessionMetadata>() is null)
        {
            // The authentication middleware has usually resolved it already (Gatehouse is then the default
            // scheme); otherwise ask the handler. Either way there is one lookup per request.
            var resolution = http.Features.Get<SessionResolution>();
            if (resolution is null)
            {
                await http.AuthenticateAsync(GatehouseAuthentication.Scheme);
                resolution = http.Features.Get<SessionResolution>();
            }
            if (resolution is { BeforeRouting: true })
            {
                // Host-route rules applied (stateless claims, the cookie endpoints' access cookie): never on our routes.
                resolution = await http.RequestServices.GetRequiredService<SessionResolver>().ResolveAsync(http);
                http.Features.Set(resolution);
            }
            auth.Session = resolution?.Session;
            if (resolution is { Dead: true })
            {
                if (auth.Client == ClientKind.App)
                {
                    return responses.SessionGone();
                }
                auth.SessionEnded = true; // clear a stale cookie
            }
            if (_options.TrackActivity && auth.Session is { User: not null } seen &&
                time.GetUtcNow().UtcDateTime - seen.LastSeenAt >= _options.ActivityUpdateInterval)
            {
                await TouchAsync(http, seen);
            }
        }

        // A body that could not be read as a JSON object is answered before the handler runs.
        foreach (var argument in context.Arguments)
        {
            if (argument is JsonInput { BodyError: { } bodyError })
            {
                return bodyError;
            }
        }

        object? result;
        try
        {
            result = await next(context);
        }
        catch (Exception ex) when (DatabaseConflict.IsLostRace(ex))
        {
            // A double submit or two requests racing on one row: the other request won. Nothing of this one
            // was committed, so no new session is handed out.
            Log.LostRace(logger, http.Request.Method, http.Request.Path.Value ?? "");
            auth.Issued = null;
            auth.RotateCsrf = false;
            result = ApiResult.Conflict();
        }
        catch (Exception ex) when (DatabaseConflict.IsBusy(ex))
        {
            // SQLite's single writer stayed busy past the busy timeout: nothing was committed; the client may retry.
            auth.RotateCsrf = false;
            result = Busy(http);
        }

        // A session whose row was never inserted (the flow gave up before saving) is not handed out.
        if (auth.Issued is { Row.Id: 0 })
        {
            auth.Issued = null;
        }
        if (auth.Client == ClientKind.Browser)
        {
            WriteBrowserCookies(http);
        }
        else if (auth.Issued is { } issued && result is ApiResult api)
        {
            Action<System.Text.Json.Utf8JsonWriter>? meta;
            try
            {
                meta = await tokens.PrepareMetaAsync(http, issued);
            }
            catch (Exception ex) when (DatabaseConflict.IsBusy(ex))
            {
                return Busy(http); // the flow committed, its access token's reads stayed busy: no half-issued session goes out
            }
            if (meta is not null)
            {
                api.TokenMeta = meta;
            }
            else
            {
                // Logged in, then ended by a concurrent request before its tokens existed: what the client holds is
                // an ended session, and a 200 without tokens would say otherwise.
                Log.EndedBeforeItsTokens(logger, http.Request.Method, http.Request.Path.Value ?? "");
                auth.Issued = null;
                result = responses.SessionGone();
            }
        }
        return result;
    }

    /// <summary>503 with Retry-After, and no session handed out.</summary>
    private ApiResult Busy(HttpContext http)
    {
        Log.DatabaseBusy(logger, http.Request.Method, http.Request.Path.Value ?? "");
        auth.Issued = null;
        http.Response.Headers.RetryAfter = "1";
        return ApiResult.ServiceUnavailable();
    }

    /// <summary>
    /// Records that the session was seen now, from this address (allauth's UserSessionsMiddleware). Conditional on the
    /// stored time, so of concurrent requests one writes; it runs at most once per interval per session, which keeps
    /// writes off the session check, and it is only bookkeeping: a failure is logged, never the request's answer.
    /// </summary>
    private async Task TouchAsync(HttpContext http, LoadedSession session)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var cutoff = now - _options.ActivityUpdateInterval;
        var ip = auth.Ip;
        try
        {
            var db = http.RequestServices.GetRequiredService<GatehouseDbContext>();
            await db.Sessions
                .Where(s => s.Id == session.Id && s.LastSeenAt <= cutoff)
                .ExecuteUpdateAsync(set => set.SetProperty(s => s.LastSeenAt, now).SetProperty(s => s.Ip, ip), http.RequestAborted);
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException && !http.RequestAborted.IsCancellationRequested)
        {
            Log.ActivityNotRecorded(logger, ex.GetType().Name);
        }
    }

    private void WriteBrowserCookies(HttpContext http)
    {
        csrf.WriteCookie(http, auth.RotateCsrf);
        if (auth.Issued is { } issued)
        {
            http.Response.Cookies.Append(_options.CookieName, issued.Token, new CookieOptions
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

        [LoggerMessage(2, LogLevel.Information, "{Method} {Path} lost a race with a concurrent request; answered 409")]
        public static partial void LostRace(ILogger logger, string method, string path);

        [LoggerMessage(3, LogLevel.Warning, "A session's last activity could not be recorded ({Error})")]
        public static partial void ActivityNotRecorded(ILogger logger, string error);

        [LoggerMessage(4, LogLevel.Warning, "{Method} {Path} found the database locked beyond its busy timeout; answered 503")]
        public static partial void DatabaseBusy(ILogger logger, string method, string path);

        [LoggerMessage(5, LogLevel.Information, "{Method} {Path} logged in a session that a concurrent request ended before its tokens were issued; answered 410")]
        public static partial void EndedBeforeItsTokens(ILogger logger, string method, string path);
    }
}
