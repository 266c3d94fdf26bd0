using Gatehouse.Account.Stages;
using Gatehouse.Configuration;
using Gatehouse.Mfa.WebAuthn;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Mfa;

internal static class MfaServiceCollectionExtensions
{
    /// <summary>MFA's services. Called by AddGatehouse after the account's login stages, so mfa_authenticate runs after verify_email.</summary>
    public static IServiceCollection AddGatehouseMfa(this IServiceCollection services)
    {
        services.AddScoped<ILoginStage, MfaAuthenticateStage>();
        services.AddSingleton<IConfigContributor, MfaConfig>();
        services.AddGatehouseWebAuthn();
        return services;
    }
}
