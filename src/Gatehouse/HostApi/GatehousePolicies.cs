using Gatehouse.Configuration;
using Gatehouse.Http;
using Gatehouse.Sessions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Gatehouse.HostApi;

/// <summary>
/// Authorization policies for a host app's own endpoints (<c>RequireAuthorization(GatehousePolicies.Staff)</c>,
/// <c>[Authorize(Policy = ...)]</c>). Each authenticates with the Gatehouse scheme, whatever the host's default
/// scheme is, and needs a logged-in user (401 otherwise); the others add one fact of the account (403 with
/// its own error code otherwise).
/// </summary>
public static class GatehousePolicies
{
    public const string Authenticated = "Gatehouse.Authenticated";
    /// <summary>The primary address is verified (403 <c>email_not_verified</c>).</summary>
    public const string VerifiedEmail = "Gatehouse.VerifiedEmail";
    /// <summary>The account has an authenticator of a supported type (403 <c>mfa_required</c>).</summary>
    public const string MfaEnabled = "Gatehouse.MfaEnabled";
    /// <summary>
    /// A staff account (403 <c>permission_denied</c>). With <c>Gatehouse:Mfa:RequiredForStaff</c> it must also
    /// have MFA (403 <c>mfa_required</c>): a staff session from before the setting was turned on, or one that
    /// logged in to set up its first authenticator, does not reach staff endpoints.
    /// </summary>
    public const string Staff = "Gatehouse.Staff";
}

internal enum GatehouseRequirementKind { VerifiedEmail, MfaEnabled, Staff }

/// <summary>One fact of the account a <see cref="GatehousePolicies">policy</see> requires.</summary>
public sealed class GatehouseRequirement : IAuthorizationRequirement
{
    internal GatehouseRequirement(GatehouseRequirementKind kind) => Kind = kind;
    internal GatehouseRequirementKind Kind { get; }
}

/// <summary>
/// Checks a <see cref="GatehouseRequirement"/> against the principal's claims (no query: the session check
/// loaded them). A refusal is recorded on the request so the scheme's forbid answer names it.
/// </summary>
internal sealed class GatehouseRequirementHandler(IOptions<MfaOptions> mfa) : AuthorizationHandler<GatehouseRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, GatehouseRequirement requirement)
    {
        var user = context.User;
        if (user.Identity?.IsAuthenticated != true)
        {
            return Task.CompletedTask; // the policy's authenticated-user requirement fails too: a 401, not a 403
        }
        var denial = requirement.Kind switch
        {
            GatehouseRequirementKind.VerifiedEmail when !GatehouseClaims.IsTrue(user, GatehouseClaimTypes.EmailVerified) =>
                new HostApiDenial("Your email address is not verified.", ErrorCodes.EmailNotVerified),
            GatehouseRequirementKind.MfaEnabled when !GatehouseClaims.IsTrue(user, GatehouseClaimTypes.HasMfa) => MfaRequired,
            GatehouseRequirementKind.Staff when !GatehouseClaims.IsTrue(user, GatehouseClaimTypes.IsStaff) =>
                new HostApiDenial("You do not have permission to perform this action.", ErrorCodes.PermissionDenied),
            GatehouseRequirementKind.Staff when mfa.Value.RequiredForStaff && !GatehouseClaims.IsTrue(user, GatehouseClaimTypes.HasMfa) => MfaRequired,
            _ => null,
        };
        if (denial is null)
        {
            context.Succeed(requirement);
            return Task.CompletedTask;
        }
        context.Fail(new AuthorizationFailureReason(this, denial.Message));
        // The authorization middleware passes the request as the resource. A host's own AuthorizeAsync call with
        // another resource still gets the refusal, only the generic 403 message instead of this one.
        if (context.Resource is HttpContext http && http.Features.Get<HostApiDenial>() is null)
        {
            http.Features.Set(denial);
        }
        return Task.CompletedTask;
    }

    private static readonly HostApiDenial MfaRequired = new("Two-factor authentication is required.", ErrorCodes.MfaRequired);
}
