using Gatehouse.Configuration;
using Gatehouse.Mfa.RecoveryCodes;
using Gatehouse.Mfa.Totp;
using Gatehouse.Mfa.WebAuthn;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Mfa;

/// <summary>
/// The MFA routes (allauth's headless/mfa/urls.py): each supported type maps its own; a type that is not
/// supported has no routes (404).
/// </summary>
internal static class MfaApi
{
    public static void MapMfa(this RouteGroupBuilder group, RouteGroupBuilder authenticated, MfaOptions options)
    {
        if (options.SupportedTypes.Length == 0)
        {
            return;
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
