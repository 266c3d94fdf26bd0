using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.HostApi;

/// <summary>The seeds' current-user answer (a DRF serializer of <c>id, email, username, has_mfa</c>).</summary>
public sealed record CurrentUser(
    [property: JsonPropertyName("id")] long Id,
    [property: JsonPropertyName("email")] string? Email,
    [property: JsonPropertyName("username")] string? Username,
    [property: JsonPropertyName("has_mfa")] bool HasMfa);

/// <summary>
/// <c>GET /api/v1/users/me</c>: a host endpoint protected by Gatehouse's scheme, the example the README points
/// to. It answers from the principal's claims alone (the session check already loaded them).
/// </summary>
public static class UserApi
{
    public const string MePath = "/api/v1/users/me";

    public static RouteHandlerBuilder MapGatehouseUserApi(this IEndpointRouteBuilder endpoints, string pattern = MePath) =>
        endpoints.MapGet(pattern, static (ClaimsPrincipal user, HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "no-store"; // personal data: never in a shared cache
            return Results.Json(new CurrentUser(
                long.Parse(user.FindFirstValue(GatehouseClaimTypes.UserId)!, CultureInfo.InvariantCulture),
                user.FindFirstValue(GatehouseClaimTypes.Email),
                user.FindFirstValue(GatehouseClaimTypes.Username),
                GatehouseClaims.IsTrue(user, GatehouseClaimTypes.HasMfa)));
        }).RequireAuthorization(GatehousePolicies.Authenticated);
}
