using System.Globalization;
using System.Security.Claims;
using System.Text.Encodings.Web;
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
/// and, later, the host app's endpoints (C8) share one resolution: the browser's HttpOnly cookie or the app's
/// session token (read through the <see cref="ITokenStrategy"/>), one <see cref="SessionLookup"/> query.
/// On Gatehouse's routes the client kind comes from the route group and CSRF was checked by the endpoint
/// filter before this runs. On a host route a browser cookie authenticates unsafe methods only when the
/// CSRF check passes, so the cookie can never be ridden cross-site there.
/// </summary>
public sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    SessionResolver resolver)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var resolution = await resolver.ResolveAsync(Context);
        Context.Features.Set(resolution);
        if (resolution.Dead)
        {
            return AuthenticateResult.Fail("The session is unknown, expired or ended.");
        }
        if (resolution.Session?.User is not { } user)
        {
            return AuthenticateResult.NoResult();
        }
        // Gatehouse's own routes read the session from AuthContext and never the principal, so none is built
        // for them: the claims, identity and ticket were ~10% of the session check's CPU (bench/cpu-ab.sh).
        // HttpContext.User stays anonymous there; host routes get the full principal.
        if (Context.GetEndpoint()?.Metadata.GetMetadata<ClientKindMetadata>() is not null)
        {
            return AuthenticateResult.NoResult();
        }
        var identity = new ClaimsIdentity(Scheme.Name, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, user.Id.ToString(CultureInfo.InvariantCulture)));
        identity.AddClaim(new Claim(GatehouseAuthentication.SessionIdClaim, resolution.Session.Id.ToString(CultureInfo.InvariantCulture)));
        identity.AddClaim(new Claim(GatehouseAuthentication.ClientClaim, resolution.Client.Wire()));
        identity.AddClaim(new Claim(ClaimTypes.Name, user.Username ?? user.Email ?? user.Id.ToString(CultureInfo.InvariantCulture)));
        if (user.Email is not null)
        {
            identity.AddClaim(new Claim(ClaimTypes.Email, user.Email));
        }
        HostApi.GatehouseClaims.AddUserFacts(identity, user.Username, user.EmailVerified, user.IsStaff, user.HasMfa);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }

    // Gatehouse's own endpoints never challenge through the scheme (their filter answers allauth's 401 with
    // the flows); these answer a host app's endpoints that its policies refused (C8).
    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        HostApi.HostApiResponses.IsApiRequest(Request) ? HostApi.HostApiResponses.ChallengeAsync(Context) : base.HandleChallengeAsync(properties);

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        HostApi.HostApiResponses.IsApiRequest(Request) ? HostApi.HostApiResponses.ForbidAsync(Context) : base.HandleForbiddenAsync(properties);
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
