namespace Gatehouse.Configuration;

/// <summary><c>Gatehouse:Sessions</c>: session lifetime and the browser cookies.</summary>
public sealed class SessionOptions
{
    public const string Section = "Gatehouse:Sessions";
    /// <summary>Django's SESSION_COOKIE_AGE: two weeks.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(14);
    public string CookieName { get; set; } = "sessionid";
    /// <summary>
    /// USERSESSIONS_TRACK_ACTIVITY: keep each logged-in session's last_seen_at and address current and show them in
    /// auth/sessions. allauth's default is off; ours is on, since a sessions page without "last seen" cannot tell a
    /// user which session is theirs. The update is one conditional write per session per
    /// <see cref="ActivityUpdateInterval"/>, not one per request.
    /// </summary>
    public bool TrackActivity { get; set; } = true;
    public TimeSpan ActivityUpdateInterval { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>Set for sub-domain deployments (e.g. "project.org").</summary>
    public string? CookieDomain { get; set; }
    /// <summary>
    /// Secure flag of the session and CSRF cookies. Unset: on outside Development (a TLS-terminating proxy
    /// that is not listed in TrustedProxies makes every request look like plain http, and the cookies must
    /// not lose Secure because of it); in Development, by the request's scheme.
    /// </summary>
    public bool? CookieSecure { get; set; }
    /// <summary>SameSite of the session and CSRF cookies: Lax (Django's default), Strict, or None (needs Secure).</summary>
    public SameSiteMode CookieSameSite { get; set; } = SameSiteMode.Lax;
    public string CsrfCookieName { get; set; } = "csrftoken";
    public string CsrfHeaderName { get; set; } = "X-CSRFToken";
    /// <summary>Origins allowed to make unsafe browser requests besides the server's own (CSRF_TRUSTED_ORIGINS).</summary>
    public string[] CsrfTrustedOrigins { get; set; } = [];

    /// <summary>Whether a cookie written for <paramref name="request"/> is Secure (after start-up, CookieSecure is unset only in Development).</summary>
    public bool SecureFor(HttpRequest request) => CookieSecure ?? request.IsHttps;
}
