using Gatehouse.Configuration;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Mfa.RecoveryCodes;

/// <summary>The routes of this authenticator type, mapped only when it is in Gatehouse:Mfa:SupportedTypes.</summary>
internal static class RecoveryCodesApi
{
    public static void Map(RouteGroupBuilder group, RouteGroupBuilder authenticated, MfaOptions options)
    {
    }
}
