using Gatehouse.Account.Stages;
using Gatehouse.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gatehouse.Mfa.WebAuthn;

internal static class WebAuthnServiceCollectionExtensions
{
    /// <summary>WebAuthn's services; its login stage runs after mfa_authenticate (allauth's get_login_stages order).</summary>
    public static IServiceCollection AddGatehouseWebAuthn(this IServiceCollection services)
    {
        services.AddSingleton<IPostConfigureOptions<MfaOptions>, WebAuthnPostConfigure>();
        services.AddSingleton<IValidateOptions<MfaOptions>, WebAuthnOptionsValidator>();
        services.AddSingleton<WebAuthnRelyingParty>();
        services.AddScoped<WebAuthnFlow>();
        services.AddScoped<ILoginStage, PasskeySignupStage>();
        return services;
    }
}
