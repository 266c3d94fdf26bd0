namespace Gatehouse.Configuration;

/// <summary><c>Gatehouse:Sessions</c>: session lifetime and the browser cookies.</summary>
public sealed class SessionOptions
{
    public const string Section = "Gatehouse:Sessions";
    /// <summary>Django's SESSION_COOKIE_AGE: two weeks.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(14);
    public string CookieName { get; set; } = "sessionid";
    /// <summary>Set for sub-domain deployments (e.g. "project.org").</summary>
    public string? CookieDomain { get; set; }
    /// <summary>null: Secure when the request is HTTPS.</summary>
    public bool? CookieSecure { get; set; }
    public string CsrfCookieName { get; set; } = "csrftoken";
    public string CsrfHeaderName { get; set; } = "X-CSRFToken";
    /// <summary>Origins allowed to make unsafe browser requests besides the server's own (CSRF_TRUSTED_ORIGINS).</summary>
    public string[] CsrfTrustedOrigins { get; set; } = [];
}
