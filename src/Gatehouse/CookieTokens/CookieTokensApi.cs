using Gatehouse.Account.Flows;
using Gatehouse.Http;
using Gatehouse.Mfa;
using Gatehouse.Mfa.WebAuthn;
using Gatehouse.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gatehouse.CookieTokens;

/// <summary>
/// The SimpleJWT-style cookie endpoints (seeds 003/004) under <see cref="CookieTokenOptions.Prefix"/>, mapped only
/// when <c>Gatehouse:CookieTokens:Enabled</c> is on: otherwise none of them exists (404). <c>token/2fa/</c> exists
/// only when MFA is (a supported type), <c>token/2fa/webauthn/</c> only when "webauthn" is one.
/// </summary>
public static class CookieTokensApi
{
    public static void MapCookieTokens(this IEndpointRouteBuilder endpoints)
    {
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<CookieTokenOptions>>().Value;
        if (!options.Enabled)
        {
            return;
        }
        var group = endpoints.MapGroup(options.GroupPrefix);
        group.AddEndpointFilter(static (context, next) =>
            context.HttpContext.RequestServices.GetRequiredService<CookieTokenFilter>().InvokeAsync(context, next));
        var cookieAuthenticated = group.MapGroup("").WithMetadata(new CookieAuthenticatedMetadata());

        group.MapPost("register/", static (HttpContext http, JsonInput input, SignupFlow signup, CookieTokenFlow flow, CancellationToken ct) =>
            flow.RegisterAsync(http, input, signup, ct));
        group.MapPost("token/", static (HttpContext http, JsonInput input, LoginFlow login, CookieTokenFlow flow, CancellationToken ct) =>
            flow.TokenAsync(http, input, login, ct));
        if (endpoints.ServiceProvider.GetRequiredService<IOptions<Configuration.MfaOptions>>().Value.SupportedTypes.Length > 0)
        {
            cookieAuthenticated.MapPost("token/2fa/", static (HttpContext http, JsonInput input, MfaFlow mfa, SessionLookup sessions, CookieTokenFlow flow, CancellationToken ct) =>
                flow.TwoFactorAsync(http, input, mfa, sessions, ct));
        }
        if (endpoints.ServiceProvider.GetRequiredService<IOptions<Configuration.MfaOptions>>().Value.Supports(Configuration.MfaTypes.WebAuthn))
        {
            // A security key as the second factor. The GET starts a ceremony (it replaces the one waiting), so it
            // needs the CSRF pair as the POST does.
            cookieAuthenticated.MapGet("token/2fa/webauthn/", static (HttpContext http, WebAuthnFlow webAuthn, MfaFlow mfa, SessionLookup sessions, CookieTokenFlow flow, CancellationToken ct) =>
                flow.WebAuthnOptionsAsync(http, webAuthn, mfa, sessions, ct)).WithMetadata(new CsrfOnSafeMethodsMetadata());
            cookieAuthenticated.MapPost("token/2fa/webauthn/", static (HttpContext http, JsonInput input, WebAuthnFlow webAuthn, MfaFlow mfa, SessionLookup sessions, CookieTokenFlow flow, CancellationToken ct) =>
                flow.WebAuthnAsync(http, input, webAuthn, mfa, sessions, ct));
        }
        cookieAuthenticated.MapPost("token/refresh/", static (HttpContext http, CookieTokenFlow flow, CancellationToken ct) => flow.RefreshAsync(http, ct));
        cookieAuthenticated.MapPost("logout/", static (HttpContext http, LogoutFlow logout, CookieTokenFlow flow, CancellationToken ct) =>
            flow.LogoutAsync(http, logout, ct));
        group.MapGet("auth-check/", static (HttpContext http, CookieTokenFlow flow, CancellationToken ct) => flow.AuthCheckAsync(http, ct));
    }
}
