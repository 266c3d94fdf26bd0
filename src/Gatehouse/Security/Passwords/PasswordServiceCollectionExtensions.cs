using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gatehouse.Security.Passwords;

public static class PasswordServiceCollectionExtensions
{
    /// <summary>
    /// Registers the hashing executor, the password validator and the disposable-domain check as
    /// singletons: the executor owns threads, and the two lists are loaded once per process.
    /// Binding <see cref="PasswordOptions"/> to configuration is left to the caller.
    /// </summary>
    public static IServiceCollection AddGatehousePasswords(this IServiceCollection services)
    {
        services.AddOptions<PasswordOptions>();
        services.TryAddSingleton<PasswordHashingExecutor>();
        services.TryAddSingleton<PasswordValidator>();
        services.TryAddSingleton<DisposableEmailDomains>();
        return services;
    }
}
