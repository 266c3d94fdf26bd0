using System.Security.Claims;

namespace Gatehouse.HostApi;

/// <summary>
/// The claims of a Gatehouse principal beyond ASP.NET Core's own (<see cref="ClaimTypes.NameIdentifier"/> is
/// the user id, <see cref="ClaimTypes.Email"/> the primary address, <see cref="ClaimTypes.Name"/> the username
/// or else the address). The names are those of the JWT access token's claims, so a policy reads the same
/// principal whether the request came with the cookie, a session token or a Bearer token.
/// </summary>
public static class GatehouseClaimTypes
{
    public const string UserId = ClaimTypes.NameIdentifier;
    public const string Email = ClaimTypes.Email;
    /// <summary>Only present when the account has a username.</summary>
    public const string Username = "username";
    /// <summary>"true" when the primary address is verified.</summary>
    public const string EmailVerified = "email_verified";
    /// <summary>"true" for staff; staff also carry the role <see cref="StaffRole"/>, for <c>RequireRole</c>.</summary>
    public const string IsStaff = "is_staff";
    /// <summary>"true" when the account has an authenticator of a supported type.</summary>
    public const string HasMfa = "has_mfa";
    public const string StaffRole = "staff";
}

internal static class GatehouseClaims
{
    public static void AddUserFacts(ClaimsIdentity identity, string? username, bool emailVerified, bool isStaff, bool hasMfa)
    {
        if (username is not null)
        {
            identity.AddClaim(new Claim(GatehouseClaimTypes.Username, username));
        }
        identity.AddClaim(Flag(GatehouseClaimTypes.EmailVerified, emailVerified));
        identity.AddClaim(Flag(GatehouseClaimTypes.IsStaff, isStaff));
        identity.AddClaim(Flag(GatehouseClaimTypes.HasMfa, hasMfa));
        if (isStaff)
        {
            identity.AddClaim(new Claim(identity.RoleClaimType, GatehouseClaimTypes.StaffRole));
        }
    }

    /// <summary>Exactly "true" counts; a missing or malformed claim is false (fail closed).</summary>
    public static bool IsTrue(ClaimsPrincipal user, string type) =>
        string.Equals(user.FindFirstValue(type), "true", StringComparison.Ordinal);

    private static Claim Flag(string type, bool value) => new(type, value ? "true" : "false", ClaimValueTypes.Boolean);
}
