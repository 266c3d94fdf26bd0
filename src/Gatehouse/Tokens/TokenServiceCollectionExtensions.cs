using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Tokens;

public static class TokenServiceCollectionExtensions
{
    /// <summary>
    /// <c>Gatehouse:Tokens</c>, the signing keys and their worker, the access-token services and the token
    /// strategy it selects. Called by AddGatehouse before its default (session-token) strategy.
    /// </summary>
    public static IServiceCollection AddGatehouseTokens(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TokenOptions>().Bind(configuration.GetSection(TokenOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TokenOptions>, TokenOptionsValidator>();
        services.AddSingleton<SigningKeys>();
        services.AddSingleton<AccessTokenIssuer>();
        services.AddSingleton<AccessTokenValidator>();
        services.AddScoped<AccessTokenClaimsBuilder>();
        services.AddSingleton<RefreshTokenMint>();
        services.AddScoped<RefreshTokenFlow>();
        services.AddSingleton<TokenKeyWorker>();
        services.AddHostedService(provider => provider.GetRequiredService<TokenKeyWorker>());
        services.TryAddSingleton<ITokenStrategy>(provider =>
            provider.GetRequiredService<IOptions<TokenOptions>>().Value.JwtEnabled
                ? ActivatorUtilities.CreateInstance<JwtTokenStrategy>(provider)
                : new SessionTokenStrategy());
        return services;
    }
}
