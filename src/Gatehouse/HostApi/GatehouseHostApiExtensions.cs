using Gatehouse.Sessions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

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
    /// Gatehouse scheme itself.
    /// </summary>
    public static IServiceCollection AddGatehousePolicies(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, GatehouseRequirementHandler>());
        services.AddAuthorizationBuilder()
            .AddPolicy(GatehousePolicies.Authenticated, policy => Gatehouse(policy))
            .AddPolicy(GatehousePolicies.VerifiedEmail, policy => Gatehouse(policy).AddRequirements(new GatehouseRequirement(GatehouseRequirementKind.VerifiedEmail)))
            .AddPolicy(GatehousePolicies.MfaEnabled, policy => Gatehouse(policy).AddRequirements(new GatehouseRequirement(GatehouseRequirementKind.MfaEnabled)))
            .AddPolicy(GatehousePolicies.Staff, policy => Gatehouse(policy).AddRequirements(new GatehouseRequirement(GatehouseRequirementKind.Staff)));
        return services;
    }

    // Always the scheme by name, even when it is the default: the policy evaluator then replaces HttpContext.User
    // with Gatehouse's own principal (or an anonymous one), so a principal set by anything else (Windows
    // authentication at the server, a host middleware, another scheme) never passes a Gatehouse policy. Trusting the
    // middleware's HttpContext.User instead saved ~4% of a Bearer request and was taken back for that reason.
    private static AuthorizationPolicyBuilder Gatehouse(AuthorizationPolicyBuilder policy) =>
        policy.AddAuthenticationSchemes(GatehouseAuthentication.Scheme).RequireAuthenticatedUser();
}
