using System.Net.Mail;
using Gatehouse.Http;
using Gatehouse.RateLimiting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gatehouse.Configuration;

// Each validator runs at start-up (ValidateOnStart) and says what to change, naming the setting.

internal sealed class GatehouseOptionsValidator : IValidateOptions<GatehouseOptions>
{
    public ValidateOptionsResult Validate(string? name, GatehouseOptions options)
    {
        var failures = new List<string>();
        if (options.SecretKeyBytes.Length < 32)
        {
            failures.Add("Gatehouse:SecretKey must be set to base64 of at least 32 random bytes (e.g. `openssl rand -base64 32`). " +
                "It keys the hashes of login and verification codes and seals mail in the outbox; every node must share it.");
        }
        for (var i = 0; i < options.PreviousSecretKeyBytes.Length; i++)
        {
            if (options.PreviousSecretKeyBytes[i].Length < 32)
            {
                failures.Add($"Gatehouse:PreviousSecretKeys:{i} is not base64 of at least 32 bytes: list the exact value the old Gatehouse:SecretKey had.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class DatabaseOptionsValidator : IValidateOptions<DatabaseOptions>
{
    public ValidateOptionsResult Validate(string? name, DatabaseOptions options) =>
        string.IsNullOrWhiteSpace(options.ConnectionString)
            ? ValidateOptionsResult.Fail($"Gatehouse:Database:ConnectionString is empty: set a connection string for {options.Provider}.")
            : options.SqliteMmapSize < 0
                ? ValidateOptionsResult.Fail($"Gatehouse:Database:SqliteMmapSize is {options.SqliteMmapSize}: give the bytes to map, or 0 to map nothing.")
                : ValidateOptionsResult.Success;
}

internal sealed class AccountOptionsValidator : IValidateOptions<AccountOptions>
{
    public ValidateOptionsResult Validate(string? name, AccountOptions options)
    {
        var failures = new List<string>();
        var unknown = options.LoginMethods.Where(m => !m.Equals("email", StringComparison.OrdinalIgnoreCase) && !m.Equals("username", StringComparison.OrdinalIgnoreCase)).ToList();
        if (options.LoginMethods.Length == 0 || unknown.Count > 0)
        {
            failures.Add($"Gatehouse:Account:LoginMethods must be \"email\", \"username\" or both (got: {string.Join(", ", options.LoginMethods)}).");
        }
        if (options.LoginByEmail && !options.SignupEmail)
        {
            failures.Add("Gatehouse:Account:SignupEmail must be true when users log in by email.");
        }
        if (!options.SignupEmail && !options.SignupUsername)
        {
            failures.Add("Gatehouse:Account: SignupEmail and SignupUsername are both false: signup would have no way to identify a user.");
        }
        if (options.LoginByUsername && !options.SignupUsername)
        {
            failures.Add("Gatehouse:Account:SignupUsername must be true when users log in by username.");
        }
        if (options.EmailVerification == EmailVerificationMode.Mandatory && !options.SignupEmail)
        {
            failures.Add("Gatehouse:Account:EmailVerification is Mandatory but SignupEmail is false.");
        }
        foreach (var (setting, value) in new[] { ("LoginByCodeMaxAttempts", options.LoginByCodeMaxAttempts), ("EmailVerificationByCodeMaxAttempts", options.EmailVerificationByCodeMaxAttempts), ("PasswordResetByCodeMaxAttempts", options.PasswordResetByCodeMaxAttempts) })
        {
            if (value < 1)
            {
                failures.Add($"Gatehouse:Account:{setting} must be at least 1.");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>
/// For a validator that checks its settings against another section's: that section's value, or null when it is
/// invalid itself (its own validator reports it once; repeating it from every validator that reads it would bury it).
/// </summary>
internal static class OtherSection
{
    public static T? ValueOrNull<T>(IOptions<T> options) where T : class
    {
        try
        {
            return options.Value;
        }
        catch (OptionsValidationException)
        {
            return null;
        }
    }
}

internal sealed class EmailOptionsValidator(IHostEnvironment environment, IOptions<FrontendOptions> frontend) : IValidateOptions<EmailOptions>
{
    public ValidateOptionsResult Validate(string? name, EmailOptions options)
    {
        var failures = new List<string>();
        // Mailer.SiteName's last resort is the request's Host header, which the client chooses: Development only.
        if (options.SiteName is null && !environment.IsDevelopment() &&
            OtherSection.ValueOrNull(frontend) is { BaseUrl: null } pages && pages.WebHost() is null)
        {
            failures.Add("Gatehouse:Email:SiteName is not set, and neither Gatehouse:FrontendUrls:BaseUrl nor an http(s) page template names the site: " +
                "set Gatehouse:Email:SiteName (the name in mail subjects), or mails would take it from a request's Host header.");
        }
        if (options.Delivery == EmailDelivery.Console && !environment.IsDevelopment())
        {
            failures.Add("Gatehouse:Email:Delivery is Console outside Development: mail with reset links and codes would go to " +
                "standard output, which is usually collected as logs. Set Gatehouse:Email:Delivery to Smtp (and Gatehouse:Email:Smtp:Host).");
        }
        var smtp = options.Smtp;
        if (smtp is { Security: { } security, EnableSsl: { } enableSsl } && enableSsl != (security is SmtpSecurity.StartTls or SmtpSecurity.SslOnConnect))
        {
            failures.Add($"Gatehouse:Email:Smtp:Security is {security} but Gatehouse:Email:Smtp:EnableSsl is {enableSsl}: they disagree. " +
                "Remove EnableSsl (Security replaces it).");
        }
        if (options.Delivery == EmailDelivery.Smtp && !string.IsNullOrEmpty(smtp.Username) && smtp.EffectiveSecurity == SmtpSecurity.None &&
            !IsLoopback(smtp.Host))
        {
            var setting = smtp.Security is null ? "Gatehouse:Email:Smtp:EnableSsl is false" : "Gatehouse:Email:Smtp:Security is None";
            failures.Add($"Gatehouse:Email:Smtp:Username is set but {setting}: the SMTP password would cross the network in clear. " +
                "Set Gatehouse:Email:Smtp:Security to Auto, StartTls or SslOnConnect (and remove EnableSsl).");
        }
        if (!MailAddress.TryCreate(options.From, out _) || !MimeKit.MailboxAddress.TryParse(options.From, out _))
        {
            failures.Add($"Gatehouse:Email:From is not a valid address: \"{options.From}\" (e.g. \"Gatehouse <noreply@example.com>\").");
        }
        if (options.Delivery == EmailDelivery.Smtp && string.IsNullOrWhiteSpace(options.Smtp.Host))
        {
            failures.Add("Gatehouse:Email:Delivery is Smtp but Gatehouse:Email:Smtp:Host is not set.");
        }
        if (options.Smtp.Port is < 1 or > 65535)
        {
            failures.Add("Gatehouse:Email:Smtp:Port must be between 1 and 65535.");
        }
        if (options.Smtp.Timeout <= TimeSpan.Zero || options.Smtp.Timeout > TimeSpan.FromMinutes(10))
        {
            failures.Add("Gatehouse:Email:Smtp:Timeout must be more than zero and at most 00:10:00.");
        }
        // Waits are timers, which take at most about 24 days; a day is already far more than a poll needs.
        if (options.OutboxPollInterval <= TimeSpan.Zero || options.OutboxPollInterval > TimeSpan.FromDays(1))
        {
            failures.Add("Gatehouse:Email:OutboxPollInterval must be more than zero and at most 1.00:00:00.");
        }
        if (options.NoticeCooldown < TimeSpan.Zero)
        {
            failures.Add("Gatehouse:Email:NoticeCooldown must not be negative (00:00:00 turns it off).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsLoopback(string? host) =>
        host is "localhost" || (System.Net.IPAddress.TryParse(host, out var address) && System.Net.IPAddress.IsLoopback(address));
}

internal sealed class RateLimitOptionsValidator : IValidateOptions<RateLimitOptions>
{
    public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
    {
        var failures = new List<string>();
        foreach (var (action, rule) in options.Rules)
        {
            if (string.IsNullOrWhiteSpace(rule))
            {
                continue; // an empty rule switches that action's limit off
            }
            try
            {
                RateLimiter.Parse(rule);
            }
            catch (FormatException ex)
            {
                failures.Add($"Gatehouse:RateLimits:Rules:{action}: {ex.Message}");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class HttpOptionsValidator : IValidateOptions<HttpOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpOptions options)
    {
        var failures = new List<string>();
        foreach (var proxy in options.TrustedProxies)
        {
            try
            {
                GatehouseForwardedHeaders.ParseNetwork(proxy);
            }
            catch (FormatException)
            {
                failures.Add($"Gatehouse:Http:TrustedProxies: \"{proxy}\" is not an IP address or CIDR range (e.g. 10.0.0.1 or 10.0.0.0/8).");
            }
        }
        foreach (var origin in options.CorsOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
            {
                failures.Add($"Gatehouse:Http:CorsOrigins: \"{origin}\" must be an origin such as https://app.example.com (scheme and host, no path).");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class PasswordOptionsValidator : IValidateOptions<Security.Passwords.PasswordOptions>
{
    public ValidateOptionsResult Validate(string? name, Security.Passwords.PasswordOptions options)
    {
        var failures = new List<string>();
        if (options.Iterations is < 1 or > Security.Passwords.DjangoPasswordHasher.MaxIterations)
        {
            failures.Add($"Gatehouse:Passwords:Iterations must be between 1 and {Security.Passwords.DjangoPasswordHasher.MaxIterations} (Django's default is 1000000).");
        }
        if (options.MaxConcurrentHashes < 0)
        {
            failures.Add("Gatehouse:Passwords:MaxConcurrentHashes must be 0 (cores - 1) or a positive number.");
        }
        if (options.MaxQueueWait <= TimeSpan.Zero)
        {
            failures.Add("Gatehouse:Passwords:MaxQueueWait must be a positive time such as 00:00:02 (how long a login may wait for a hashing thread before it is answered 503).");
        }
        if (options.MinLength < 1)
        {
            failures.Add("Gatehouse:Passwords:MinLength must be at least 1.");
        }
        if (options.MaxSimilarity is < 0.1 or > 1.0)
        {
            failures.Add("Gatehouse:Passwords:MaxSimilarity must be between 0.1 and 1.0 (Django's default is 0.7).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class FrontendOptionsValidator(IHostEnvironment environment) : IValidateOptions<FrontendOptions>
{
    public ValidateOptionsResult Validate(string? name, FrontendOptions options)
    {
        var failures = new List<string>();
        if (options.BaseUrl is { } baseUrl &&
            (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
        {
            failures.Add($"Gatehouse:FrontendUrls:BaseUrl must be an absolute http(s) URL such as https://app.example.com (got \"{baseUrl}\").");
        }
        var templates = new[] { options.AccountConfirmEmail, options.AccountResetPasswordFromKey, options.AccountResetPassword, options.AccountSignup };
        var relative = templates.Any(t => !FrontendOptions.IsAbsolute(t));
        if (relative && options.BaseUrl is null && !environment.IsDevelopment())
        {
            failures.Add("Gatehouse:FrontendUrls:BaseUrl is not set but the frontend URL templates are relative: set it to your frontend's " +
                "origin (e.g. https://app.example.com) so links in mails never take their host from a request header.");
        }
        foreach (var (setting, template) in new[] { ("account_confirm_email", options.AccountConfirmEmail), ("account_reset_password_from_key", options.AccountResetPasswordFromKey) })
        {
            if (!template.Contains("{key}", StringComparison.Ordinal))
            {
                failures.Add($"Gatehouse:FrontendUrls:{setting} must contain {{key}} (got \"{template}\").");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

internal sealed class SessionOptionsValidator : IValidateOptions<SessionOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionOptions options)
    {
        var failures = new List<string>();
        if (options.Lifetime <= TimeSpan.Zero)
        {
            failures.Add($"Gatehouse:Sessions:Lifetime must be positive (got {options.Lifetime}; Django's default is 14.00:00:00).");
        }
        if (options.ActivityUpdateInterval < TimeSpan.Zero)
        {
            failures.Add($"Gatehouse:Sessions:ActivityUpdateInterval must not be negative (got {options.ActivityUpdateInterval}).");
        }
        foreach (var (setting, value) in new[] { ("CookieName", options.CookieName), ("CsrfCookieName", options.CsrfCookieName) })
        {
            if (!IsToken(value))
            {
                failures.Add($"Gatehouse:Sessions:{setting} \"{value}\" is not a valid cookie name: use letters, digits and -._ only (e.g. sessionid).");
            }
            else if (CookieNames.CheckPrefix($"Gatehouse:Sessions:{setting}", value, "/", options, httpOnly: setting == "CookieName") is { } prefix)
            {
                failures.Add(prefix);
            }
        }
        if (string.Equals(options.CookieName, options.CsrfCookieName, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add("Gatehouse:Sessions:CookieName and CsrfCookieName must differ: one cookie would overwrite the other.");
        }
        if (!IsToken(options.CsrfHeaderName))
        {
            failures.Add($"Gatehouse:Sessions:CsrfHeaderName \"{options.CsrfHeaderName}\" is not a valid header name (e.g. X-CSRFToken).");
        }
        if (options.CookieDomain is { } domain &&
            (domain.Length == 0 || Uri.CheckHostName(domain.TrimStart('.')) != UriHostNameType.Dns))
        {
            failures.Add($"Gatehouse:Sessions:CookieDomain must be a host name such as example.com, without scheme, port or path (got \"{domain}\").");
        }
        if (options.CookieSameSite is not (SameSiteMode.Lax or SameSiteMode.Strict or SameSiteMode.None))
        {
            failures.Add($"Gatehouse:Sessions:CookieSameSite must be Lax, Strict or None (got {options.CookieSameSite}).");
        }
        if (options.CookieSameSite == SameSiteMode.None && options.CookieSecure != true)
        {
            failures.Add("Gatehouse:Sessions:CookieSameSite is None but CookieSecure is not true: browsers drop SameSite=None cookies " +
                "that are not Secure. Set Gatehouse:Sessions:CookieSecure to true (and serve over https).");
        }
        foreach (var origin in options.CsrfTrustedOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.AbsolutePath != "/")
            {
                failures.Add($"Gatehouse:Sessions:CsrfTrustedOrigins: \"{origin}\" must be an origin such as https://app.example.com (scheme and host, no path).");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static bool IsToken(string? value) => CookieNames.IsToken(value);
}

internal sealed class MfaOptionsValidator(IHostEnvironment environment, IOptions<SessionOptions> sessions) : IValidateOptions<MfaOptions>
{
    public ValidateOptionsResult Validate(string? name, MfaOptions options)
    {
        var failures = new List<string>();
        foreach (var type in options.SupportedTypes.Where(t => !MfaTypes.InWireOrder.Contains(t)))
        {
            failures.Add($"Gatehouse:Mfa:SupportedTypes has \"{type}\": use any of {string.Join(", ", MfaTypes.InWireOrder)}.");
        }
        if (options.TotpPeriod is < 1 or > 300)
        {
            failures.Add($"Gatehouse:Mfa:TotpPeriod must be between 1 and 300 seconds (got {options.TotpPeriod}).");
        }
        if (options.TotpDigits is < 6 or > 8)
        {
            failures.Add($"Gatehouse:Mfa:TotpDigits must be 6, 7 or 8 (got {options.TotpDigits}).");
        }
        if (options.TotpTolerance is < 0 or > 10)
        {
            failures.Add($"Gatehouse:Mfa:TotpTolerance must be between 0 and 10 steps (got {options.TotpTolerance}).");
        }
        if (options.RecoveryCodeCount is < 1 or > 100)
        {
            failures.Add($"Gatehouse:Mfa:RecoveryCodeCount must be between 1 and 100 (got {options.RecoveryCodeCount}).");
        }
        if (options.RecoveryCodeDigits is < 6 or > 20)
        {
            failures.Add($"Gatehouse:Mfa:RecoveryCodeDigits must be between 6 and 20 (got {options.RecoveryCodeDigits}).");
        }
        if (options.MaxAttempts < 1)
        {
            failures.Add($"Gatehouse:Mfa:MaxAttempts must be at least 1 (got {options.MaxAttempts}).");
        }
        if (options.RequiredForStaff && !options.Supports(MfaTypes.Totp))
        {
            // The mfa_setup stage sets up TOTP only; without it a staff login could neither finish nor skip the stage.
            failures.Add("Gatehouse:Mfa:RequiredForStaff needs \"totp\" in Gatehouse:Mfa:SupportedTypes (staff set up TOTP during their login).");
        }
        if (options.TrustLifetime <= TimeSpan.Zero)
        {
            failures.Add("Gatehouse:Mfa:TrustLifetime must be positive.");
        }
        if (!CookieNames.IsToken(options.TrustCookieName))
        {
            failures.Add($"Gatehouse:Mfa:TrustCookieName \"{options.TrustCookieName}\" is not a valid cookie name: use letters, digits and -._ only (e.g. mfa_trusted).");
        }
        else if (OtherSection.ValueOrNull(sessions) is { } cookies)
        {
            if (CookieNames.Collides(options.TrustCookieName, cookies))
            {
                failures.Add($"Gatehouse:Mfa:TrustCookieName \"{options.TrustCookieName}\" is the name of the session or CSRF cookie: one would overwrite the other.");
            }
            else if (CookieNames.CheckPrefix("Gatehouse:Mfa:TrustCookieName", options.TrustCookieName, "/", cookies, httpOnly: true) is { } prefix)
            {
                failures.Add(prefix);
            }
        }
        if (options.WebAuthnAllowInsecureOrigin && !environment.IsDevelopment())
        {
            failures.Add("Gatehouse:Mfa:WebAuthnAllowInsecureOrigin is for local development only: switch it off outside Development.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
