using Gatehouse.Sessions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gatehouse.HostApi;

public static class GatehouseHostApiExtensions
{
    /// <summary>
    /// Protects the host app's own endpoints with Gatehouse: <c>builder.Services.AddAuthentication().AddGatehouse()</c>.
    /// Makes the Gatehouse scheme the default (unless the host named another default first, e.g.
    /// <c>AddAuthentication("Cookies")</c>), so <c>RequireAuthorization()</c> and <c>[Authorize]</c> accept the
    /// browser's session cookie (unsafe methods only with the CSRF pair), the app's <c>X-Session-Token</c> and,
    /// with the JWT strategy, <c>Authorization: Bearer</c>; and adds <see cref="GatehousePolicies"/>.
    /// The scheme itself is registered by <c>AddGatehouse(configuration)</c>, which Gatehouse's own endpoints
    /// need whether or not the host uses it: this call only decides what the host's endpoints get, which is
    /// why it is a separate, explicit line rather than a side effect of AddGatehouse.
    /// </summary>
    public static AuthenticationBuilder AddGatehouse(this AuthenticationBuilder builder)
    {
        builder.Services.Configure<AuthenticationOptions>(options => options.DefaultScheme ??= GatehouseAuthentication.Scheme);
        builder.Services.AddGatehousePolicies();
        return builder;
    }

    /// <summary>
    /// The <see cref="GatehousePolicies"/>, for a host whose default scheme is another one: each policy names the
    /// Gatehouse scheme itself. With Gatehouse as the default they use the principal the authentication middleware
    /// set, so it must run before authorization (WebApplication places both; without it the policies answer 401).
    /// </summary>
    public static IServiceCollection AddGatehousePolicies(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, GatehouseRequirementHandler>());
        services.AddAuthorization();
        services.AddOptions<AuthorizationOptions>().Configure<IOptions<AuthenticationOptions>>((authorization, authentication) =>
        {
            // When Gatehouse is the default scheme the authentication middleware has already run it and set
            // HttpContext.User; a policy naming the scheme again makes the policy evaluator authenticate a second
            // time and merge the result into a new principal, per request (~4% of a Bearer request's CPU,
            // bench/cpu-ab.sh). Any other default: the policies name Gatehouse, so the host's scheme never passes them.
            var byDefault = (authentication.Value.DefaultAuthenticateScheme ?? authentication.Value.DefaultScheme) == GatehouseAuthentication.Scheme;
            authorization.AddPolicy(GatehousePolicies.Authenticated, policy => Gatehouse(policy, byDefault));
            authorization.AddPolicy(GatehousePolicies.VerifiedEmail, policy => Gatehouse(policy, byDefault).AddRequirements(new GatehouseRequirement(GatehouseRequirementKind.VerifiedEmail)));
            authorization.AddPolicy(GatehousePolicies.MfaEnabled, policy => Gatehouse(policy, byDefault).AddRequirements(new GatehouseRequirement(GatehouseRequirementKind.MfaEnabled)));
            authorization.AddPolicy(GatehousePolicies.Staff, policy => Gatehouse(policy, byDefault).AddRequirements(new GatehouseRequirement(GatehouseRequirementKind.Staff)));
        });
        return services;
    }

    private static AuthorizationPolicyBuilder Gatehouse(AuthorizationPolicyBuilder policy, bool byDefault) =>
        (byDefault ? policy : policy.AddAuthenticationSchemes(GatehouseAuthentication.Scheme)).RequireAuthenticatedUser();
}
