using Gatehouse.Configuration;
using Gatehouse.Http;
using Gatehouse.Mfa.RecoveryCodes;
using Gatehouse.Mfa.Totp;
using Gatehouse.Mfa.WebAuthn;
using Gatehouse.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Mfa;

/// <summary>
/// The MFA routes (allauth's headless/mfa/urls.py): each supported type maps its own; a type that is not
/// supported has no routes (404).
/// </summary>
internal static class MfaApi
{
    public static void MapMfa(this RouteGroupBuilder group, RouteGroupBuilder authenticated, MfaOptions options, ClientKind client)
    {
        if (options.SupportedTypes.Length == 0)
        {
            return;
        }
        group.MapPost("auth/2fa/authenticate", static (JsonInput input, MfaFlow flow, CancellationToken ct) => flow.AuthenticateAsync(input, ct));
        authenticated.MapPost("auth/2fa/reauthenticate", static (JsonInput input, MfaFlow flow, CancellationToken ct) => flow.ReauthenticateAsync(input, ct));
        authenticated.MapGet("account/authenticators", static (MfaFlow flow, CancellationToken ct) => flow.ListAsync(ct));
        if (options.TrustEnabled && client == ClientKind.Browser)
        {
            // allauth maps 2fa/trust for the browser client only: trust lives in a cookie.
            group.MapPost("auth/2fa/trust", static (JsonInput input, MfaTrustFlow flow, CancellationToken ct) => flow.TrustAsync(input, ct));
        }
        if (options.Supports(MfaTypes.Totp))
        {
            TotpApi.Map(group, authenticated, options);
        }
        if (options.Supports(MfaTypes.RecoveryCodes))
        {
            RecoveryCodesApi.Map(group, authenticated, options);
        }
        if (options.Supports(MfaTypes.WebAuthn))
        {
            WebAuthnApi.Map(group, authenticated, options);
        }
    }
}
