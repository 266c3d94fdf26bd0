using System.Security.Cryptography;
using Gatehouse.Account;
using Gatehouse.Account.Flows;
using Gatehouse.Audit;
using Gatehouse.Configuration;
using Gatehouse.Email;
using Gatehouse.Email.Flows;
using Gatehouse.Http;
using Gatehouse.RateLimiting;
using Gatehouse.Security;
using Gatehouse.Security.Passwords;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SessionOptions = Gatehouse.Configuration.SessionOptions;

namespace Gatehouse;

public static class GatehouseServiceCollectionExtensions
{
    internal const string CorsPolicy = "Gatehouse";

    /// <summary>
    /// Registers Gatehouse: options (bound from the "Gatehouse" section and validated at start), storage,
    /// the flows, the outbox worker, and the middleware that keeps /_allauth answers in the envelope.
    /// </summary>
    public static IServiceCollection AddGatehouse(this IServiceCollection services, IConfiguration configuration)
    {
        Bind<DatabaseOptions, DatabaseOptionsValidator>(services, configuration, DatabaseOptions.Section);
        Bind<AccountOptions, AccountOptionsValidator>(services, configuration, AccountOptions.Section);
        Bind<EmailOptions, EmailOptionsValidator>(services, configuration, EmailOptions.Section);
        Bind<RateLimitOptions, RateLimitOptionsValidator>(services, configuration, RateLimitOptions.Section);
        Bind<HttpOptions, HttpOptionsValidator>(services, configuration, HttpOptions.Section);
        services.AddOptions<SessionOptions>().Bind(configuration.GetSection(SessionOptions.Section));
        Bind<FrontendOptions, FrontendOptionsValidator>(services, configuration, FrontendOptions.Section);
        Bind<PasswordOptions, PasswordOptionsValidator>(services, configuration, "Gatehouse:Passwords");
        services.AddOptions<GatehouseOptions>()
            .Bind(configuration.GetSection(GatehouseOptions.Section))
            .PostConfigure<IHostEnvironment>((options, environment) =>
            {
                if (!string.IsNullOrWhiteSpace(options.SecretKey))
                {
                    options.SecretKeyBytes = Convert.TryFromBase64String(options.SecretKey, new byte[options.SecretKey.Length], out var written)
                        ? Convert.FromBase64String(options.SecretKey)[..written]
                        : [];
                }
                else if (environment.IsDevelopment())
                {
                    options.SecretKeyBytes = DevelopmentSecret(environment);
                }
                options.PreviousSecretKeyBytes = options.PreviousSecretKeys.Select(GatehouseOptions.DecodeKey).ToArray();
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatehouseOptions>, GatehouseOptionsValidator>();

        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpContextAccessor();
        // Pooled: a request that touches the database reuses a context instead of building one.
        services.AddSingleton<OutboxSaveInterceptor>();
        services.AddDbContextPool<GatehouseDbContext>((provider, options) =>
        {
            var database = provider.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            options.AddInterceptors(provider.GetRequiredService<OutboxSaveInterceptor>());
            if (database.Provider == DatabaseProvider.Postgres)
            {
                options.UseNpgsql(database.ConnectionString);
            }
            else
            {
                options.UseSqlite(database.ConnectionString);
            }
        });
        services.AddScoped<SchemaMigrator>();
        services.AddScoped<MailKeys>();
        services.AddSingleton<MaintenanceWorker>();
        services.AddHostedService(provider => provider.GetRequiredService<MaintenanceWorker>());

        services.AddGatehousePasswords();
        services.AddSingleton<CodeHasher>();
        services.AddSingleton<SecretBox>();
        services.AddSingleton<Csrf>();
        services.AddSingleton<ClientIpResolver>();
        services.AddSingleton<AuthResponses>();
        services.AddSingleton<ConfigFlow>();
        services.AddScoped<AuthContext>();
        services.AddScoped<SessionStore>();
        services.AddSingleton<SessionLookup>();
        services.AddScoped<SessionEndpointFilter>();
        services.AddScoped<RateLimiter>();
        services.AddScoped<AuditLog>();
        services.AddScoped<UserDirectory>();

        services.AddSingleton<OutboxSignal>();
        services.AddScoped<Mailer>();
        services.AddScoped<VerificationMails>();
        services.TryAddSingleton<IMailTransport>(provider =>
            provider.GetRequiredService<IOptions<EmailOptions>>().Value.Delivery == EmailDelivery.Smtp
                ? ActivatorUtilities.CreateInstance<SmtpMailTransport>(provider)
                : ActivatorUtilities.CreateInstance<ConsoleMailTransport>(provider));
        services.AddSingleton<OutboxWorker>();
        services.AddHostedService(provider => provider.GetRequiredService<OutboxWorker>());

        services.AddScoped<LoginCompletion>();
        services.AddScoped<LoginFlow>();
        services.AddScoped<SignupFlow>();
        services.AddScoped<LogoutFlow>();
        services.AddScoped<ReauthenticateFlow>();
        services.AddScoped<LoginByCodeFlow>();
        services.AddScoped<PasswordResetFlow>();
        services.AddScoped<PasswordChangeFlow>();
        services.AddScoped<EmailVerificationFlow>();
        services.AddScoped<ManageEmailFlow>();
        services.AddScoped<SessionsFlow>();

        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>()
            .Configure<IOptions<HttpOptions>>((cors, http) => cors.AddPolicy(CorsPolicy, policy => policy
                .WithOrigins(http.Value.CorsOrigins)
                .AllowCredentials()
                .WithMethods("GET", "POST", "PUT", "PATCH", "DELETE")
                .WithHeaders("Content-Type", "X-CSRFToken", SessionEndpointFilter.SessionTokenHeader,
                    EmailVerificationFlow.KeyHeader, PasswordResetFlow.KeyHeader, "Authorization")
                .SetPreflightMaxAge(TimeSpan.FromHours(1))));
        services.AddTransient<IStartupFilter, GatehouseStartupFilter>();
        return services;
    }

    /// <summary>
    /// Development only: a random key kept in a file next to the server (git-ignored), so mail waiting in
    /// the outbox and codes in flight survive a restart.
    /// </summary>
    private static byte[] DevelopmentSecret(IHostEnvironment environment)
    {
        var path = Path.Combine(environment.ContentRootPath, ".gatehouse-dev-secret");
        if (File.Exists(path) && Convert.TryFromBase64String(File.ReadAllText(path).Trim(), new byte[64], out var length) && length >= 32)
        {
            return Convert.FromBase64String(File.ReadAllText(path).Trim());
        }
        var key = RandomNumberGenerator.GetBytes(32);
        File.WriteAllText(path, Convert.ToBase64String(key));
        return key;
    }

    private static void Bind<TOptions, TValidator>(IServiceCollection services, IConfiguration configuration, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().Bind(configuration.GetSection(section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
    }

    /// <summary>Puts the envelope fallback and CORS first in the pipeline, so the host needs no Use* calls.</summary>
    private sealed class GatehouseStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            // Behind a TLS-terminating proxy (a configured trusted one only), take the scheme it saw, so
            // cookies get Secure and the CSRF origin check compares https with https.
            var proxies = app.ApplicationServices.GetRequiredService<IOptions<HttpOptions>>().Value.TrustedProxies;
            if (proxies.Length > 0)
            {
                var forwarded = new ForwardedHeadersOptions { ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto };
                forwarded.KnownProxies.Clear();
                forwarded.KnownIPNetworks.Clear();
                foreach (var proxy in proxies)
                {
                    forwarded.KnownIPNetworks.Add(ClientIpResolver.ParseNetwork(proxy));
                }
                app.UseForwardedHeaders(forwarded);
            }
            app.UseMiddleware<ApiFallbackMiddleware>();
            app.UseCors(CorsPolicy);
            next(app);
        };
    }
}
