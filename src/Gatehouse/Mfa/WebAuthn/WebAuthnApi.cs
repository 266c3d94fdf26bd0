using Gatehouse.Configuration;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Mfa.WebAuthn;

/// <summary>The routes of this authenticator type, mapped only when it is in Gatehouse:Mfa:SupportedTypes.</summary>
internal static class WebAuthnApi
{
    public static void Map(RouteGroupBuilder group, RouteGroupBuilder authenticated, MfaOptions options)
    {
    }
}
