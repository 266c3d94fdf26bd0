namespace Gatehouse.Configuration;

/// <summary>What start-up checks in the name of every cookie Gatehouse writes.</summary>
internal static class CookieNames
{
    // RFC 6265 cookie-name / RFC 9110 field-name are "tokens"; a conservative subset keeps every browser happy.
    public static bool IsToken(string? value) =>
        !string.IsNullOrEmpty(value) && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    /// <summary>Whether <paramref name="name"/> is the session's or the CSRF cookie's (browsers compare names exactly; so do we, ignoring case to be safe).</summary>
    public static bool Collides(string name, SessionOptions sessions) =>
        string.Equals(name, sessions.CookieName, StringComparison.OrdinalIgnoreCase) ||
        string.Equals(name, sessions.CsrfCookieName, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The name prefixes of RFC 6265bis (section 4.1.3): a browser keeps a <c>__Secure-</c> cookie only when it is Secure,
    /// and a <c>__Host-</c> cookie only when it is also host-only (no Domain) with path <c>/</c>; browsers match the
    /// prefixes regardless of case. A prefix that the settings break makes every browser drop the cookie without a word
    /// (no login would ever stick), so start-up refuses it instead. Null when <paramref name="name"/> is fine.
    /// </summary>
    /// <param name="setting">The setting that names the cookie, for the sentence.</param>
    /// <param name="path">The path Gatehouse writes the cookie with.</param>
    /// <param name="httpOnly">Whether Gatehouse writes it HttpOnly (all but the CSRF cookie, which the frontend's script reads).</param>
    public static string? CheckPrefix(string setting, string name, string path, SessionOptions sessions, bool httpOnly)
    {
        // The newer drafts' __Http- and __Host-Http- add HttpOnly to __Secure- and __Host-.
        var http = name.StartsWith("__Http-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("__Host-Http-", StringComparison.OrdinalIgnoreCase);
        var host = name.StartsWith("__Host-", StringComparison.OrdinalIgnoreCase);
        if (!host && !http && !name.StartsWith("__Secure-", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        if (http && !httpOnly)
        {
            return $"{setting} \"{name}\" has an HttpOnly prefix (__Http- or __Host-Http-), and this cookie is read by the frontend's script, " +
                "so it is not HttpOnly: drop that part of the prefix.";
        }
        // Validation runs after post-configuration, which sets an unset CookieSecure to true outside Development; in
        // Development an unset one follows each request's scheme, so a plain-http request would lose the cookie.
        if (sessions.CookieSecure != true)
        {
            return $"{setting} \"{name}\" has the {name[..(name.IndexOf('-', 2) + 1)]} prefix, which browsers keep only on a Secure cookie: " +
                "set Gatehouse:Sessions:CookieSecure to true (and serve over https), or drop the prefix.";
        }
        if (host && sessions.CookieDomain is not null)
        {
            return $"{setting} \"{name}\" has the __Host- prefix, which browsers refuse on a cookie with a Domain, and Gatehouse:Sessions:CookieDomain " +
                "is set: use __Secure- instead, or unset the domain.";
        }
        if (host && path != "/")
        {
            return $"{setting} \"{name}\" has the __Host- prefix, which browsers keep only with path /, and this cookie's path is {path}: use __Secure- instead.";
        }
        return null;
    }
}
