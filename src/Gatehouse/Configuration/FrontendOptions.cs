using Microsoft.Extensions.Configuration;

namespace Gatehouse.Configuration;

/// <summary>
/// <c>Gatehouse:FrontendUrls</c>: links put in mails, keyed like allauth's HEADLESS_FRONTEND_URLS.
/// A relative template takes its scheme and host from the request that caused the mail.
/// </summary>
public sealed class FrontendOptions
{
    public const string Section = "Gatehouse:FrontendUrls";
    /// <summary>
    /// Scheme and host that relative templates are joined to, e.g. "https://app.example.com". Required
    /// outside Development: taking the host from the request would let anyone who sends a reset request
    /// with a forged Host header receive the victim's reset link (password-reset poisoning).
    /// </summary>
    public string? BaseUrl { get; set; }
    // Keys spelled as allauth's HEADLESS_FRONTEND_URLS, so a Django settings file translates one to one.
    [ConfigurationKeyName("account_confirm_email")]
    public string AccountConfirmEmail { get; set; } = "/account/verify-email/{key}";

    [ConfigurationKeyName("account_reset_password_from_key")]
    public string AccountResetPasswordFromKey { get; set; } = "/account/password/reset/key/{key}";

    [ConfigurationKeyName("account_reset_password")]
    public string AccountResetPassword { get; set; } = "/account/password/reset";

    [ConfigurationKeyName("account_signup")]
    public string AccountSignup { get; set; } = "/account/signup";

    /// <summary>
    /// Whether a template is a full URL (any scheme, e.g. https:// or an app's myapp://). Checked by
    /// hand: on Unix, Uri.TryCreate takes "/account/..." for an absolute file URI.
    /// </summary>
    public static bool IsAbsolute(string template) =>
        !template.StartsWith('/') && Uri.TryCreate(template, UriKind.Absolute, out _);

    /// <summary>The host of the first page template that is an http(s) URL (an app's own scheme names no site), or null.</summary>
    internal string? WebHost() =>
        new[] { AccountConfirmEmail, AccountResetPasswordFromKey, AccountResetPassword, AccountSignup }
            .Select(t => IsAbsolute(t) && Uri.TryCreate(t.Replace("{key}", "key", StringComparison.Ordinal), UriKind.Absolute, out var uri) &&
                uri.Scheme is "http" or "https" ? uri.Authority : null)
            .FirstOrDefault(host => host is not null);
}
