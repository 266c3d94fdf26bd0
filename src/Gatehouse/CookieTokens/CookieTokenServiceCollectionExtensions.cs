using Gatehouse.Tokens;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gatehouse.CookieTokens;

public static class CookieTokenServiceCollectionExtensions
{
    /// <summary>
    /// <c>Gatehouse:CookieTokens</c> and the cookie endpoints' services (their routes are mapped only when enabled). Called by AddGatehouse.
    /// With it enabled the signing keys are loaded even under the session-token strategy.
    /// </summary>
    public static IServiceCollection AddGatehouseCookieTokens(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CookieTokenOptions>().Bind(configuration.GetSection(CookieTokenOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CookieTokenOptions>, CookieTokenOptionsValidator>();
        services.AddOptions<TokenOptions>().PostConfigure<IOptions<CookieTokenOptions>>((tokens, cookies) => tokens.CookieTokensEnabled = cookies.Value.Enabled);
        services.AddSingleton<CookieTokenCookies>();
        services.AddSingleton<CookieTokenAuthentication>();
        services.AddScoped<CookieTokenFilter>();
        services.AddScoped<CookieTokenFlow>();
        return services;
    }
}
