using Gatehouse.Configuration;
using Gatehouse.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Mfa.Totp;

/// <summary>The routes of this authenticator type, mapped only when it is in Gatehouse:Mfa:SupportedTypes.</summary>
internal static class TotpApi
{
    public static void Map(RouteGroupBuilder group, RouteGroupBuilder authenticated, MfaOptions options)
    {
        // Outside the authenticated sub-group: a staff login's pending mfa_setup stage sets TOTP up here too
        // (the flow answers everyone else as the sub-group would).
        group.MapGet("account/authenticators/totp", static (TotpFlow flow, CancellationToken ct) => flow.GetAsync(ct));
        group.MapPost("account/authenticators/totp", static (JsonInput input, TotpFlow flow, CancellationToken ct) => flow.ActivateAsync(input, ct));
        authenticated.MapDelete("account/authenticators/totp", static (TotpFlow flow, CancellationToken ct) => flow.DeactivateAsync(ct));
    }
}
