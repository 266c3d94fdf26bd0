using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Gatehouse.Tests;

/// <summary>A wrong setting stops the server at start with a sentence naming it.</summary>
public sealed class ConfigurationValidationTests
{
    private static readonly Dictionary<string, string?> Valid = new()
    {
        ["Gatehouse:SecretKey"] = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i + 1)).ToArray()),
        ["Gatehouse:Database:ConnectionString"] = "Data Source=:memory:",
        // Start-up refuses an unmigrated database; these tests are about the settings.
        ["Gatehouse:Database:AutoMigrate"] = "true",
        ["Gatehouse:Email:Delivery"] = "Smtp",
        ["Gatehouse:Email:Smtp:Host"] = "smtp.example.com",
        ["Gatehouse:FrontendUrls:BaseUrl"] = "https://app.example.com",
    };

    [Theory]
    [InlineData("Gatehouse:Email:Smtp:Host", "", "Gatehouse:Email:Smtp:Host")]
    [InlineData("Gatehouse:Database:SqliteMmapSize", "-1", "Gatehouse:Database:SqliteMmapSize")]
    [InlineData("Gatehouse:Email:Delivery", "Console", "Gatehouse:Email:Delivery")]
    [InlineData("Gatehouse:Email:OutboxPollInterval", "00:00:00", "Gatehouse:Email:OutboxPollInterval")]
    [InlineData("Gatehouse:Email:NoticeCooldown", "-00:01:00", "Gatehouse:Email:NoticeCooldown")]
    [InlineData("Gatehouse:Email:From", "not an address", "Gatehouse:Email:From")]
    [InlineData("Gatehouse:RateLimits:Rules:login", "30/fortnight/ip", "Gatehouse:RateLimits:Rules:login")]
    [InlineData("Gatehouse:Account:LoginMethods:0", "phone", "Gatehouse:Account:LoginMethods")]
    [InlineData("Gatehouse:Http:TrustedProxies:0", "not-an-ip", "Gatehouse:Http:TrustedProxies")]
    [InlineData("Gatehouse:Http:CorsOrigins:0", "https://app.example.com/path", "Gatehouse:Http:CorsOrigins")]
    [InlineData("Gatehouse:Passwords:Iterations", "0", "Gatehouse:Passwords:Iterations")]
    [InlineData("Gatehouse:SecretKey", "c2hvcnQ=", "Gatehouse:SecretKey")]
    [InlineData("Gatehouse:PreviousSecretKeys:0", "c2hvcnQ=", "Gatehouse:PreviousSecretKeys:0")]
    [InlineData("Gatehouse:Passwords:MaxQueueWait", "00:00:00", "Gatehouse:Passwords:MaxQueueWait")]
    [InlineData("Gatehouse:FrontendUrls:BaseUrl", null, "Gatehouse:FrontendUrls:BaseUrl")]
    [InlineData("Gatehouse:FrontendUrls:account_confirm_email", "/verify", "Gatehouse:FrontendUrls:account_confirm_email")]
    [InlineData("Gatehouse:Sessions:Lifetime", "00:00:00", "Gatehouse:Sessions:Lifetime")]
    [InlineData("Gatehouse:Sessions:Lifetime", "-1.00:00:00", "Gatehouse:Sessions:Lifetime")]
    [InlineData("Gatehouse:Sessions:CookieName", "session id", "Gatehouse:Sessions:CookieName")]
    [InlineData("Gatehouse:Sessions:CookieName", "", "Gatehouse:Sessions:CookieName")]
    [InlineData("Gatehouse:Sessions:CsrfCookieName", "sessionid", "Gatehouse:Sessions:CookieName and CsrfCookieName")]
    [InlineData("Gatehouse:Sessions:CsrfCookieName", "csrf;token", "Gatehouse:Sessions:CsrfCookieName")]
    [InlineData("Gatehouse:Sessions:CsrfHeaderName", "X CSRF", "Gatehouse:Sessions:CsrfHeaderName")]
    [InlineData("Gatehouse:Mfa:TrustCookieName", "mfa;trusted", "Gatehouse:Mfa:TrustCookieName")]
    [InlineData("Gatehouse:Sessions:CookieDomain", "https://example.com", "Gatehouse:Sessions:CookieDomain")]
    [InlineData("Gatehouse:Sessions:CookieSameSite", "Unspecified", "Gatehouse:Sessions:CookieSameSite")]
    [InlineData("Gatehouse:Sessions:CsrfTrustedOrigins:0", "app.example.com", "Gatehouse:Sessions:CsrfTrustedOrigins")]
    [InlineData("Gatehouse:Mfa:WebAuthnOrigins:0", "http://app.example.com", "WebAuthn needs https outside Development")]
    [InlineData("Gatehouse:Mfa:WebAuthnOrigins:0", "https://app.example.com/login", "Gatehouse:Mfa:WebAuthnOrigins")]
    [InlineData("Gatehouse:Mfa:WebAuthnRpId", "example.org", "is not example.org or below it")]
    [InlineData("Gatehouse:Mfa:WebAuthnRpId", "https://example.com", "Gatehouse:Mfa:WebAuthnRpId")]
    [InlineData("Gatehouse:Mfa:WebAuthnAllowInsecureOrigin", "true", "Gatehouse:Mfa:WebAuthnAllowInsecureOrigin")]
    [InlineData("Gatehouse:Mfa:PasskeySignupEnabled", "true", "Gatehouse:Mfa:PasskeySignupEnabled")]
    [InlineData("Gatehouse:Tokens:Algorithm", "HS256", "Gatehouse:Tokens:Algorithm")]
    [InlineData("Gatehouse:Tokens:AccessTokenLifetime", "00:00:00", "Gatehouse:Tokens:AccessTokenLifetime")]
    [InlineData("Gatehouse:Tokens:RefreshTokenLifetime", "00:01:00", "Gatehouse:Tokens:RefreshTokenLifetime")]
    [InlineData("Gatehouse:Tokens:AuthorizationHeaderScheme", "Bear er", "Gatehouse:Tokens:AuthorizationHeaderScheme")]
    [InlineData("Gatehouse:Tokens:Audience", "", "Gatehouse:Tokens:Audience")]
    [InlineData("Gatehouse:Tokens:RefreshReuseGracePeriod", "01:00:00", "Gatehouse:Tokens:RefreshReuseGracePeriod")]
    [InlineData("Gatehouse:Tokens:KeyPublicationDelay", "00:00:10", "Gatehouse:Tokens:KeyPublicationDelay")]
    public async Task Startup_WithAnInvalidSetting_FailsNamingTheSetting(string key, string? value, string named)
    {
        var settings = new Dictionary<string, string?>(Valid);
        if (value is null)
        {
            settings.Remove(key);
        }
        else
        {
            settings[key] = value;
        }

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(settings));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Gatehouse:Sessions:CookieName", "__Host-sessionid", "Gatehouse:Sessions:CookieDomain", "example.com", "Gatehouse:Sessions:CookieName \"__Host-sessionid\" has the __Host- prefix")]
    [InlineData("Gatehouse:Sessions:CsrfCookieName", "__Secure-csrftoken", "Gatehouse:Sessions:CookieSecure", "false", "Gatehouse:Sessions:CsrfCookieName \"__Secure-csrftoken\" has the __Secure- prefix")]
    [InlineData("Gatehouse:Mfa:TrustCookieName", "__host-trusted", "Gatehouse:Sessions:CookieDomain", "example.com", "Gatehouse:Mfa:TrustCookieName \"__host-trusted\"")]
    [InlineData("Gatehouse:CookieTokens:AccessCookieName", "__Secure-access", "Gatehouse:Sessions:CookieSecure", "false", "Gatehouse:CookieTokens:AccessCookieName")]
    [InlineData("Gatehouse:CookieTokens:RefreshCookieName", "__Host-refresh", "Gatehouse:CookieTokens:Enabled", "true", "this cookie's path is /api/auth/")]
    [InlineData("Gatehouse:CookieTokens:PendingCookieName", "__HOST-pending", "Gatehouse:CookieTokens:Enabled", "true", "Gatehouse:CookieTokens:PendingCookieName")]
    [InlineData("Gatehouse:Sessions:CsrfCookieName", "__Host-Http-csrftoken", "Gatehouse:Sessions:CookieSecure", "true", "has an HttpOnly prefix")]
    [InlineData("Gatehouse:Mfa:TrustCookieName", "sessionid", "Gatehouse:Sessions:CookieSecure", "true", "Gatehouse:Mfa:TrustCookieName \"sessionid\" is the name of the session or CSRF cookie")]
    [InlineData("Gatehouse:CookieTokens:AccessCookieName", "csrftoken", "Gatehouse:CookieTokens:Enabled", "true", "Gatehouse:CookieTokens:AccessCookieName \"csrftoken\" is the name of the session or CSRF cookie")]
    public async Task Startup_WithACookieNameThatBrowsersWouldDropOrOverwrite_FailsNamingTheCookie(string key, string value, string otherKey, string otherValue, string named)
    {
        // A browser drops a __Secure- cookie that is not Secure and a __Host- cookie with a Domain or a path other than /,
        // silently, and two cookies of one name overwrite each other: the server would answer logins that never stick.
        var settings = new Dictionary<string, string?>(Valid) { [key] = value, [otherKey] = otherValue };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(settings));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Startup_WithoutBaseUrl_SiteNameOrAWebTemplate_FailsAskingForTheSiteName()
    {
        // App-scheme templates name no site; the last resort would be a request's Host header.
        var settings = new Dictionary<string, string?>(Valid)
        {
            ["Gatehouse:FrontendUrls:BaseUrl"] = null,
            ["Gatehouse:FrontendUrls:account_confirm_email"] = "myapp://verify/{key}",
            ["Gatehouse:FrontendUrls:account_reset_password_from_key"] = "myapp://reset/{key}",
            ["Gatehouse:FrontendUrls:account_reset_password"] = "myapp://reset",
            ["Gatehouse:FrontendUrls:account_signup"] = "myapp://signup",
            ["Gatehouse:Mfa:WebAuthnRpId"] = "example.com",
            ["Gatehouse:Mfa:WebAuthnOrigins:0"] = "https://example.com",
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(settings));

        Assert.Contains("Gatehouse:Email:SiteName is not set", error.Message, StringComparison.Ordinal);
        settings["Gatehouse:Email:SiteName"] = "Example";
        await StartAsync(settings);
    }

    [Fact]
    public async Task Startup_InDevelopmentWithoutCookieSecure_RefusesAPrefixedCookieName()
    {
        // Development leaves Secure to each request's scheme; a request over plain http would lose the cookie.
        var settings = new Dictionary<string, string?>(Valid) { ["Gatehouse:Sessions:CookieName"] = "__Host-sessionid" };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(settings, "Development"));

        Assert.Contains("set Gatehouse:Sessions:CookieSecure to true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Startup_WithPrefixedCookieNamesThatFitTheirCookies_Succeeds()
    {
        // Production: Secure by default. The session, CSRF, trust and access cookies have path / and no Domain; the refresh
        // cookie's path is the endpoints' prefix, so __Secure- is the prefix it can have.
        var settings = new Dictionary<string, string?>(Valid)
        {
            ["Gatehouse:Sessions:CookieName"] = "__Host-sessionid",
            ["Gatehouse:Sessions:CsrfCookieName"] = "__Host-csrftoken",
            ["Gatehouse:Mfa:TrustCookieName"] = "__Host-mfa_trusted",
            ["Gatehouse:CookieTokens:Enabled"] = "true",
            ["Gatehouse:CookieTokens:AccessCookieName"] = "__Host-access_token",
            ["Gatehouse:CookieTokens:RefreshCookieName"] = "__Secure-refresh_token",
            ["Gatehouse:CookieTokens:PendingCookieName"] = "__Secure-mfa_pending",
        };
        // The cookie endpoints load the signing keys at start, on a connection of their own: a file, not :memory:.
        var directory = Directory.CreateTempSubdirectory("gatehouse-prefixes-").FullName;
        settings["Gatehouse:Database:ConnectionString"] = $"Data Source={Path.Combine(directory, "gatehouse.db")};Pooling=False";
        try
        {
            await StartAsync(settings);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(null, "false", "Gatehouse:Email:Smtp:EnableSsl is false")] // an existing config: refused as before
    [InlineData("None", null, "Gatehouse:Email:Smtp:Security is None")]
    [InlineData("None", "true", "they disagree")]
    [InlineData("StartTls", "false", "they disagree")]
    public async Task Startup_WithSmtpCredentialsOrTlsSettingsThatDoNotFit_FailsNamingTheSetting(string? security, string? enableSsl, string named)
    {
        var settings = new Dictionary<string, string?>(Valid) { ["Gatehouse:Email:Smtp:Username"] = "mailer" };
        if (security is not null)
        {
            settings["Gatehouse:Email:Smtp:Security"] = security;
        }
        if (enableSsl is not null)
        {
            settings["Gatehouse:Email:Smtp:EnableSsl"] = enableSsl;
        }

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(settings));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null)] // Auto: STARTTLS is required for credentials
    [InlineData("SslOnConnect", null)]
    [InlineData(null, "true")]
    public async Task Startup_WithSmtpCredentialsOverTls_Succeeds(string? security, string? enableSsl)
    {
        var settings = new Dictionary<string, string?>(Valid) { ["Gatehouse:Email:Smtp:Username"] = "mailer" };
        if (security is not null)
        {
            settings["Gatehouse:Email:Smtp:Security"] = security;
        }
        if (enableSsl is not null)
        {
            settings["Gatehouse:Email:Smtp:EnableSsl"] = enableSsl;
        }

        await StartAsync(settings);
    }

    [Fact]
    public async Task Startup_WithoutBaseUrlOrWebAuthnRpId_FailsSayingWhatToSet()
    {
        var settings = new Dictionary<string, string?>(Valid)
        {
            ["Gatehouse:FrontendUrls:BaseUrl"] = null,
            // Absolute templates: BaseUrl itself is then not required, but WebAuthn still needs an rp id.
            ["Gatehouse:FrontendUrls:account_confirm_email"] = "https://app.example.com/verify/{key}",
            ["Gatehouse:FrontendUrls:account_reset_password_from_key"] = "https://app.example.com/reset/{key}",
            ["Gatehouse:FrontendUrls:account_reset_password"] = "https://app.example.com/reset",
            ["Gatehouse:FrontendUrls:account_signup"] = "https://app.example.com/signup",
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(settings));

        Assert.Contains("Gatehouse:Mfa:WebAuthnRpId is not set", error.Message, StringComparison.Ordinal);
        settings["Gatehouse:Mfa:WebAuthnRpId"] = "example.com";
        settings["Gatehouse:Mfa:WebAuthnOrigins:0"] = "https://app.example.com";
        await StartAsync(settings);
    }

    [Fact]
    public async Task Startup_WithValidSettings_Succeeds()
    {
        await StartAsync(Valid);
    }

    [Fact]
    public async Task SameSiteNone_WithCookieSecureFalse_FailsSayingBrowsersDropTheCookie()
    {
        var settings = new Dictionary<string, string?>(Valid)
        {
            ["Gatehouse:Sessions:CookieSameSite"] = "None",
            ["Gatehouse:Sessions:CookieSecure"] = "false",
        };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(settings));

        Assert.Contains("Gatehouse:Sessions:CookieSecure", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameSiteNone_OutsideDevelopment_WithCookieSecureUnset_Succeeds()
    {
        // Unset means Secure outside Development, which is what SameSite=None needs.
        await StartAsync(new Dictionary<string, string?>(Valid) { ["Gatehouse:Sessions:CookieSameSite"] = "None" });
    }

    private static async Task StartAsync(Dictionary<string, string?> settings, string environment = "Production")
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddGatehouse(builder.Configuration);
        await using var app = builder.Build();
        app.MapGatehouse();
        await app.StartAsync();
        await app.StopAsync();
    }
}
