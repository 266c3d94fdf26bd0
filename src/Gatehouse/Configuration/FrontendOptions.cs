namespace Gatehouse.Configuration;

/// <summary>
/// <c>Gatehouse:FrontendUrls</c>: links put in mails, keyed like allauth's HEADLESS_FRONTEND_URLS.
/// A relative template takes its scheme and host from the request that caused the mail.
/// </summary>
public sealed class FrontendOptions
{
    public const string Section = "Gatehouse:FrontendUrls";
    public string AccountConfirmEmail { get; set; } = "/account/verify-email/{key}";
    public string AccountResetPasswordFromKey { get; set; } = "/account/password/reset/key/{key}";
    public string AccountResetPassword { get; set; } = "/account/password/reset";
    public string AccountSignup { get; set; } = "/account/signup";
}
