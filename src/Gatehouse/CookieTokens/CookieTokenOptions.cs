using Microsoft.Extensions.Options;

namespace Gatehouse.CookieTokens;

/// <summary>
/// <c>Gatehouse:CookieTokens</c>: the SimpleJWT-style cookie endpoints (register, token, token/refresh, logout,
/// auth-check) that many Django/DRF frontends call. Off by default. The tokens are Gatehouse's own (lifetimes,
/// rotation and grace window in <c>Gatehouse:Tokens</c>); the cookies' Secure, Domain and SameSite follow
/// <c>Gatehouse:Sessions</c>, so one setting decides them for every cookie Gatehouse writes.
/// </summary>
public sealed class CookieTokenOptions
{
    public const string Section = "Gatehouse:CookieTokens";

    public bool Enabled { get; set; }

    /// <summary>Where the endpoints live, with a slash at both ends (the seeds' <c>/api/auth/</c>).</summary>
    public string Prefix { get; set; } = "/api/auth/";

    /// <summary>The HttpOnly cookie with the access token (path <c>/</c>: the host's API reads it too).</summary>
    public string AccessCookieName { get; set; } = "access_token";

    /// <summary>The HttpOnly cookie with the refresh token (path <see cref="Prefix"/>: only these endpoints see it).</summary>
    public string RefreshCookieName { get; set; } = "refresh_token";

    /// <summary>
    /// The HttpOnly cookie that carries a login waiting for its second factor from <c>token/</c> to <c>token/2fa/</c>
    /// (path <see cref="Prefix"/>, lives as long as the pending login).
    /// </summary>
    public string PendingCookieName { get; set; } = "mfa_pending";

    /// <summary>The prefix without its trailing slash, for MapGroup.</summary>
    internal string GroupPrefix => Prefix.TrimEnd('/');
}

internal sealed class CookieTokenOptionsValidator(IOptions<Configuration.SessionOptions> sessions) : IValidateOptions<CookieTokenOptions>
{
    public ValidateOptionsResult Validate(string? name, CookieTokenOptions options)
    {
        var failures = new List<string>();
        if (options.Prefix is not { Length: >= 3 } prefix || prefix[0] != '/' || prefix[^1] != '/' || prefix.Contains("//", StringComparison.Ordinal) ||
            prefix.Any(c => char.IsWhiteSpace(c) || c is '{' or '}' or '?' or '#' or '*'))
        {
            failures.Add($"Gatehouse:CookieTokens:Prefix must be a path with a slash at both ends, such as /api/auth/ (got \"{options.Prefix}\").");
        }
        else if (prefix.StartsWith(Http.ApiFallbackMiddleware.Prefix + "/", StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"Gatehouse:CookieTokens:Prefix must not be under {Http.ApiFallbackMiddleware.Prefix}/ (got \"{prefix}\"): that path is allauth's API.");
        }
        var names = new[] { options.AccessCookieName, options.RefreshCookieName, options.PendingCookieName };
        if (names.Any(n => string.IsNullOrEmpty(n) || !n.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-')))
        {
            failures.Add("Gatehouse:CookieTokens:AccessCookieName, RefreshCookieName and PendingCookieName must be non-empty names of letters, digits, '_' or '-'.");
        }
        else if (names.Distinct(StringComparer.Ordinal).Count() != names.Length)
        {
            failures.Add("Gatehouse:CookieTokens:AccessCookieName, RefreshCookieName and PendingCookieName must differ from each other.");
        }
        else if (Configuration.OtherSection.ValueOrNull(sessions) is { } cookies)
        {
            // The paths CookieTokenCookies writes them with: the access cookie for the whole site, the others for the endpoints only.
            var paths = new[] { ("AccessCookieName", options.AccessCookieName, "/"), ("RefreshCookieName", options.RefreshCookieName, options.Prefix),
                ("PendingCookieName", options.PendingCookieName, options.Prefix) };
            foreach (var (setting, cookie, path) in paths)
            {
                if (Configuration.CookieNames.Collides(cookie, cookies))
                {
                    failures.Add($"Gatehouse:CookieTokens:{setting} \"{cookie}\" is the name of the session or CSRF cookie: one would overwrite the other.");
                }
                else if (Configuration.CookieNames.CheckPrefix($"Gatehouse:CookieTokens:{setting}", cookie, path, cookies, httpOnly: true) is { } refused)
                {
                    failures.Add(refused);
                }
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
