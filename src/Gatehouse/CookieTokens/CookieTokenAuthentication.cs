using Gatehouse.Http;
using Gatehouse.Sessions;
using Gatehouse.Tokens;

namespace Gatehouse.CookieTokens;

/// <summary>
/// The access cookie on a host app's own routes (C8): <see cref="SessionAuthenticationHandler"/> asks this when a
/// request carries no session token, no Bearer token and no session cookie, so a SPA that logged in through the
/// cookie endpoints calls the host's API (<c>GET /api/v1/users/me</c>) with <c>credentials: "include"</c> and
/// nothing else. As with the session cookie, an unsafe method needs the CSRF pair, and the token's session is
/// always checked (a logout or password change refuses it at once).
/// </summary>
public sealed class CookieTokenAuthentication(
    CookieTokenCookies cookies, AccessTokenValidator validator, Csrf csrf, Microsoft.Extensions.Options.IOptions<CookieTokenOptions> options)
{
    private readonly bool _enabled = options.Value.Enabled;

    /// <summary>Null when the feature is off or the request has no access cookie (the handler carries on as before).</summary>
    public async Task<SessionResolution?> ResolveAsync(HttpContext context)
    {
        if (!_enabled || cookies.ReadAccess(context.Request) is not { } token)
        {
            return null;
        }
        if (csrf.Check(context) is not null)
        {
            return new SessionResolution { Client = ClientKind.Browser, CsrfRefused = true };
        }
        var validation = await validator.ValidateAsync(token, stateful: true, context.RequestAborted);
        return validation.IsValid
            ? new SessionResolution { Client = ClientKind.Browser, Session = validation.Session }
            : new SessionResolution { Client = ClientKind.Browser, Dead = true };
    }
}
