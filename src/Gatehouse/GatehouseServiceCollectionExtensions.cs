using System.Security.Cryptography;
using Gatehouse.Account;
using Gatehouse.Account.Flows;
using Gatehouse.Account.Stages;
using Gatehouse.Audit;
using Gatehouse.Configuration;
using Gatehouse.CookieTokens;
using Gatehouse.Email;
using Gatehouse.Email.Flows;
using Gatehouse.Http;
using Gatehouse.Mfa;
using Gatehouse.RateLimiting;
using Gatehouse.Security;
using Gatehouse.Security.Passwords;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Tokens;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
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
        Bind<SessionOptions, SessionOptionsValidator>(services, configuration, SessionOptions.Section);
        services.AddOptions<SessionOptions>().PostConfigure<IHostEnvironment>((options, environment) =>
        {
            // Fail closed: outside Development an unset CookieSecure means Secure, whatever scheme a request shows.
            if (!environment.IsDevelopment())
            {
                options.CookieSecure ??= true;
            }
        });
        Bind<FrontendOptions, FrontendOptionsValidator>(services, configuration, FrontendOptions.Section);
        Bind<PasswordOptions, PasswordOptionsValidator>(services, configuration, "Gatehouse:Passwords");
        Bind<MfaOptions, MfaOptionsValidator>(services, configuration, MfaOptions.Section);
        // The binder appends configured items to an array's non-empty default ("SupportedTypes:0 = totp" gave all
        // three types plus totp again); a configured list replaces the default, as allauth's setting does.
        services.AddOptions<MfaOptions>().Configure(options =>
        {
            if (configuration.GetSection(MfaOptions.Section + ":SupportedTypes") is { } types && types.Exists())
            {
                options.SupportedTypes = types.Get<string[]>() ?? [];
            }
        });
        // The same for ACCOUNT_LOGIN_METHODS: "LoginMethods:0 = username" means username only, not email and username.
        services.AddOptions<AccountOptions>().Configure(options =>
        {
            if (configuration.GetSection(AccountOptions.Section + ":LoginMethods") is { } methods && methods.Exists())
            {
                options.LoginMethods = methods.Get<string[]>() ?? [];
            }
        });
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
        // Pooled: a request that touches the database reuses a context instead of building one.
        services.AddSingleton<OutboxSaveInterceptor>();
        services.AddDbContextPool<GatehouseDbContext>((provider, options) =>
        {
            var database = provider.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            options.AddInterceptors(provider.GetRequiredService<OutboxSaveInterceptor>());
            // EF Core logs every executed command at Information; the outbox poll alone would flood a
            // host's log with SQL. At Debug a host still sees it when it asks for it.
            options.ConfigureWarnings(w => w.Log((RelationalEventId.CommandExecuted, LogLevel.Debug)));
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
        // Registered before the workers below: hosted services start in order, and none may meet a wrong schema.
        services.AddHostedService<SchemaStartupCheck>();
        services.TryAddSingleton<GatehouseFrontendPages>();
        services.AddHostedService<FrontendUrlsCheck>();
        services.AddSingleton<MaintenanceWorker>();
        services.AddHostedService(provider => provider.GetRequiredService<MaintenanceWorker>());

        services.AddGatehousePasswords();
        services.AddSingleton<CodeHasher>();
        services.AddSingleton<SecretBox>();
        services.AddSingleton<Csrf>();
        services.AddSingleton<ClientIpResolver>();
        services.AddScoped<AuthResponses>();
        services.AddSingleton<ConfigFlow>();
        services.AddScoped<AuthContext>();
        services.AddScoped<SessionStore>();
        services.AddSingleton<SessionLookup>();
        services.AddGatehouseTokens(configuration);
        services.AddGatehouseCookieTokens(configuration);
        services.TryAddSingleton<ITokenStrategy, SessionTokenStrategy>();
        // Gatehouse names no default scheme. Note that ASP.NET Core makes a host's only scheme its default:
        // a host without schemes of its own that calls UseAuthentication() then resolves Gatehouse sessions
        // on its routes too (a cookie authenticates unsafe methods there only with a valid CSRF pair).
        services.AddAuthentication(options => options.AddScheme<SessionAuthenticationHandler>(GatehouseAuthentication.Scheme, null));
        // Registered so the handler provider resolves it from DI's compiled factory: without it, every request's
        // handler is built by ActivatorUtilities.CreateInstance (reflection), a measurable part of the session check.
        // Transient, never replaced: the handler caches its per-request result.
        services.AddTransient<SessionAuthenticationHandler>();
        services.TryAddScoped<SessionResolver>();
        services.AddScoped<SessionEndpointFilter>();
        services.AddScoped<RateLimiter>();
        services.AddScoped<AuditLog>();
        services.AddScoped<UserDirectory>();

        services.AddSingleton<OutboxSignal>();
        services.AddScoped<Mailer>();
        services.AddScoped<VerificationMails>();
        services.AddScoped<SecurityNotices>();
        services.TryAddSingleton<IMailTransport>(provider =>
            provider.GetRequiredService<IOptions<EmailOptions>>().Value.Delivery == EmailDelivery.Smtp
                ? ActivatorUtilities.CreateInstance<SmtpMailTransport>(provider)
                : ActivatorUtilities.CreateInstance<ConsoleMailTransport>(provider));
        services.AddSingleton<OutboxWorker>();
        services.AddHostedService(provider => provider.GetRequiredService<OutboxWorker>());

        services.AddScoped<CodeChallenges>();
        // Login stages run in registration order (allauth's LOGIN_STAGES order); MFA will add its own here.
        services.AddScoped<ILoginStage, VerifyEmailStage>();
        services.AddGatehouseMfa();
        services.AddScoped<LoginStages>();
        // Each feature's part of data.flows, in allauth's order.
        services.AddSingleton<IFlowContributor, AccountFlows>();
        services.AddSingleton<IFlowContributor, Mfa.WebAuthn.WebAuthnFlows>();
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
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDeveloperPageExceptionFilter, ApiDeveloperPageExceptionFilter>());
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

    /// <summary>
    /// Puts the envelope fallback and CORS first in the pipeline, for /_allauth only, so the host needs no
    /// Use* calls and its own routes keep their headers and CORS as it set them. Forwarded headers are the
    /// host's (see GatehouseForwardedHeaders).
    /// </summary>
    private sealed class GatehouseStartupFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseWhen(static context => ApiFallbackMiddleware.IsApi(context.Request.Path), static api =>
            {
                api.UseMiddleware<ApiFallbackMiddleware>();
                api.UseCors(CorsPolicy);
            });
            next(app);
        };
    }
}
