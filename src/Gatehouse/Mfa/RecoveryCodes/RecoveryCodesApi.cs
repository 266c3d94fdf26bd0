using Gatehouse.Configuration;
using Gatehouse.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Mfa.RecoveryCodes;

/// <summary>The routes of this authenticator type, mapped only when it is in Gatehouse:Mfa:SupportedTypes.</summary>
internal static class RecoveryCodesApi
{
    public static void Map(RouteGroupBuilder group, RouteGroupBuilder authenticated, MfaOptions options)
    {
        authenticated.MapGet("account/authenticators/recovery-codes", static (RecoveryCodesFlow flow, CancellationToken ct) => flow.GetAsync(ct));
        // allauth's GenerateRecoveryCodesInput has no fields; a body, if any, must still be a JSON object.
        authenticated.MapPost("account/authenticators/recovery-codes", static (JsonInput input, RecoveryCodesFlow flow, CancellationToken ct) =>
            flow.RegenerateAsync(ct));
    }
}
