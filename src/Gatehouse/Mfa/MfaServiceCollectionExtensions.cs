using Gatehouse.Account.Stages;
using Gatehouse.Configuration;
using Gatehouse.Mfa.RecoveryCodes;
using Gatehouse.Mfa.Totp;
using Gatehouse.Mfa.WebAuthn;
using Gatehouse.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace Gatehouse.Mfa;

internal static class MfaServiceCollectionExtensions
{
    /// <summary>MFA's services. Called by AddGatehouse after the account's login stages, so mfa_authenticate runs after verify_email.</summary>
    public static IServiceCollection AddGatehouseMfa(this IServiceCollection services)
    {
        // In the order they run: mfa_authenticate, then mfa_trust (which asks the first whether it applies).
        services.AddScoped<MfaAuthenticateStage>();
        services.AddScoped<ILoginStage>(provider => provider.GetRequiredService<MfaAuthenticateStage>());
        services.AddScoped<MfaTrustStage>();
        services.AddScoped<ILoginStage>(provider => provider.GetRequiredService<MfaTrustStage>());
        services.AddScoped<ILoginStage, MfaSetupStage>();
        services.AddScoped<TrustedBrowsers>();
        services.AddScoped<MfaTrustFlow>();
        services.AddSingleton<IConfigContributor, MfaConfig>();
        services.AddScoped<IReauthenticationFlowContributor, MfaReauthenticationFlows>();
        services.AddScoped<MfaAuthenticators>();
        services.AddScoped<MfaFlow>();
        services.AddScoped<TotpAuthenticator>();
        services.AddScoped<TotpFlow>();
        services.AddScoped<RecoveryCodeSet>();
        services.AddScoped<RecoveryCodesFlow>();
        services.AddGatehouseWebAuthn();
        return services;
    }
}
