using System.Globalization;
using System.Security.Claims;
using Gatehouse.Http;
using Gatehouse.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SessionOptions = Gatehouse.Configuration.SessionOptions;

namespace Gatehouse.Sessions;

public static class GatehouseAuthentication
{
    /// <summary>The authentication scheme that resolves a Gatehouse session (cookie or session token).</summary>
    public const string Scheme = "Gatehouse";
    public const string SessionIdClaim = "sid";
    public const string ClientClaim = "gatehouse_client";
}

/// <summary>What the handler found for this request; the endpoint filter reads it instead of looking again.</summary>
public sealed class SessionResolution
{
    public required ClientKind Client { get; init; }
    public LoadedSession? Session { get; init; }
    /// <summary>A token or cookie was sent but names no live session (app: 410; browser: the cookie is cleared).</summary>
    public bool Dead { get; init; }
    /// <summary>A host route's unsafe request carried the cookie without a valid CSRF pair: the cookie was not used.</summary>
    public bool CsrfRefused { get; init; }
    /// <summary>
    /// Resolved before routing (a host that authenticates before UseRouting): the route was not known, so host-route
    /// rules applied. Gatehouse's endpoint filter resolves again rather than use it.
    /// </summary>
    public bool BeforeRouting { get; init; }
}

/// <summary>
/// Resolves the request's session as an ASP.NET Core authentication handler, so Gatehouse's own endpoints
/// and the host app's endpoints (C8) share one resolution: the browser's HttpOnly cookie or the app's
/// session token (read through the <see cref="ITokenStrategy"/>), one <see cref="SessionLookup"/> query.
/// On Gatehouse's routes the client kind comes from the route group and CSRF was checked by the endpoint
/// filter before this runs. On a host route a browser cookie authenticates unsafe methods only when the
/// CSRF check passes, so the cookie can never be ridden cross-site there.
/// <para>
/// A plain <see cref="IAuthenticationHandler"/> rather than <c>AuthenticationHandler&lt;TOptions&gt;</c>: the scheme
/// has no options, events or forwarding (an <c>AuthenticationSchemeOptions</c> configured for it is not read), and
/// the base class's per-request work for them (a logger made per instance, an options lookup, an events object)
/// ran on every request of every route, since the server makes this its default scheme (bench/cpu-ab.sh).
/// </para>
/// </summary>
public sealed partial class SessionAuthenticationHandler(SessionResolver resolver, ILogger<SessionAuthenticationHandler> logger) : IAuthenticationHandler
{
    private AuthenticationScheme _scheme = null!;
    private HttpContext _context = null!;
    private Task<AuthenticateResult>? _result;

    public Task InitializeAsync(AuthenticationScheme scheme, HttpContext context)
    {
        _scheme = scheme;
        _context = context;
        return Task.CompletedTask;
    }

    /// <summary>Once per request: the middleware and a policy naming the scheme get the same answer.</summary>
    public Task<AuthenticateResult> AuthenticateAsync() => _result ??= HandleAuthenticateAsync();

    private async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var context = _context;
        var resolution = await resolver.ResolveAsync(context);
        context.Features.Set(resolution);
        if (resolution.Dead)
        {
            Log.NotAuthenticated(logger, _scheme.Name);
            return AuthenticateResult.Fail("The session is unknown, expired or ended.");
        }
        if (resolution.Session?.User is not { } user)
        {
            return AuthenticateResult.NoResult();
        }
        // Gatehouse's own routes read the session from AuthContext and never the principal, so none is built
        // for them: the claims, identity and ticket were ~10% of the session check's CPU (bench/cpu-ab.sh).
        // HttpContext.User stays anonymous there; host routes get the full principal.
        if (context.GetEndpoint()?.Metadata.GetMetadata<ClientKindMetadata>() is not null)
        {
            return AuthenticateResult.NoResult();
        }
        var identity = new ClaimsIdentity(_scheme.Name, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(CultureInfo.InvariantCulture)));
        identity.AddClaim(new Claim(GatehouseAuthentication.SessionIdClaim, resolution.Session.Id.ToString(CultureInfo.InvariantCulture)));
        identity.AddClaim(new Claim(GatehouseAuthentication.ClientClaim, resolution.Client.Wire()));
        identity.AddClaim(new Claim(ClaimTypes.Name, user.Username ?? user.Email ?? user.Id.ToString(CultureInfo.InvariantCulture)));
        if (user.Email is not null)
        {
            identity.AddClaim(new Claim(ClaimTypes.Email, user.Email));
        }
        HostApi.GatehouseClaims.AddUserFacts(identity, user.Username, user.EmailVerified, user.IsStaff, user.HasMfa);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), _scheme.Name));
    }

    // Gatehouse's own endpoints never challenge through the scheme (their filter answers allauth's 401 with
    // the flows); these answer a host app's endpoints that its policies refused (C8): the envelope for an API
    // request, otherwise the bare status (what AuthenticationHandler does; a host wanting a redirect adds a scheme).
    public Task ChallengeAsync(AuthenticationProperties? properties)
    {
        Log.Challenged(logger, _scheme.Name);
        return Refuse(StatusCodes.Status401Unauthorized, HostApi.HostApiResponses.ChallengeAsync);
    }

    public Task ForbidAsync(AuthenticationProperties? properties)
    {
        Log.Forbidden(logger, _scheme.Name);
        return Refuse(StatusCodes.Status403Forbidden, HostApi.HostApiResponses.ForbidAsync);
    }

    private Task Refuse(int status, Func<HttpContext, Task> envelope)
    {
        if (HostApi.HostApiResponses.IsApiRequest(_context.Request))
        {
            return envelope(_context);
        }
        _context.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    // What AuthenticationHandler<T> logged (same levels): a dead or refused credential, and host routes refused.
    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "{Scheme} was not authenticated: the session is unknown, expired or ended")]
        public static partial void NotAuthenticated(ILogger logger, string scheme);

        [LoggerMessage(2, LogLevel.Information, "AuthenticationScheme: {Scheme} was challenged")]
        public static partial void Challenged(ILogger logger, string scheme);

        [LoggerMessage(3, LogLevel.Information, "AuthenticationScheme: {Scheme} was forbidden")]
        public static partial void Forbidden(ILogger logger, string scheme);
    }
}

/// <summary>
/// Which session a request carries: the browser's HttpOnly cookie or the app's session token (read through the
/// <see cref="ITokenStrategy"/>, which also reads access tokens), one <see cref="SessionLookup"/> query. The
/// authentication handler asks it once per request; the endpoint filter asks again only when that happened before
/// routing, when Gatehouse's own routes could not be told from a host's.
/// </summary>
public sealed class SessionResolver(SessionLookup sessions, ITokenStrategy tokens, Csrf csrf, IOptions<SessionOptions> sessionOptions)
{
    /// <summary>Longer values are never tokens we issued; they are refused without a query.</summary>
    private const int MaxTokenLength = 128;

    public async Task<SessionResolution> ResolveAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var resolution = await ResolveAsync(context, endpoint?.Metadata.GetMetadata<ClientKindMetadata>()?.Kind);
        return endpoint is null ? new SessionResolution
        {
            Client = resolution.Client, Session = resolution.Session, Dead = resolution.Dead, CsrfRefused = resolution.CsrfRefused, BeforeRouting = true,
        } : resolution;
    }

    private async Task<SessionResolution> ResolveAsync(HttpContext context, ClientKind? routeKind)
    {
        var request = context.Request;
        var token = routeKind != ClientKind.Browser ? tokens.ReadSessionToken(request) : null;
        // No session token: an access token (JWT strategy) may stand for an app session; a valid one whose session ended is dead.
        if (token is null && routeKind != ClientKind.Browser && await tokens.ReadAccessTokenAsync(context) is { } access)
        {
            return new SessionResolution { Client = ClientKind.App, Session = access.Session, Dead = access.Session is null };
        }
        var client = routeKind ?? (token is not null ? ClientKind.App : ClientKind.Browser);
        if (client == ClientKind.App)
        {
            // The app client never uses cookies; the browser client ignores X-Session-Token.
            if (token is null)
            {
                return new SessionResolution { Client = client };
            }
            var found = token.Length <= MaxTokenLength ? await sessions.FindAsync(token, ClientKind.App, context.RequestAborted) : null;
            return new SessionResolution { Client = client, Session = found, Dead = found is null };
        }

        var cookie = request.Cookies[sessionOptions.Value.CookieName];
        // A host route without a session cookie may carry the cookie endpoints' access token (Gatehouse:CookieTokens).
        if (string.IsNullOrEmpty(cookie) && routeKind is null &&
            context.RequestServices.GetService(typeof(CookieTokens.CookieTokenAuthentication)) is CookieTokens.CookieTokenAuthentication cookieTokens &&
            await cookieTokens.ResolveAsync(context) is { } byAccessCookie)
        {
            return byAccessCookie;
        }
        if (string.IsNullOrEmpty(cookie) || (routeKind is null && csrf.Check(context) is not null))
        {
            return new SessionResolution { Client = client, CsrfRefused = !string.IsNullOrEmpty(cookie) };
        }
        var session = cookie.Length <= MaxTokenLength ? await sessions.FindAsync(cookie, ClientKind.Browser, context.RequestAborted) : null;
        return new SessionResolution { Client = client, Session = session, Dead = session is null };
    }
}
