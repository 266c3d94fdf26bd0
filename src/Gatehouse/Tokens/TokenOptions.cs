using Microsoft.Extensions.Options;

namespace Gatehouse.Tokens;

/// <summary>Which token strategy the app client uses (allauth's <c>HEADLESS_TOKEN_STRATEGY</c>).</summary>
public enum TokenStrategyKind
{
    /// <summary>allauth's default <c>SessionTokenStrategy</c>: an opaque <c>X-Session-Token</c>.</summary>
    Session,
    /// <summary>allauth's <c>JWTTokenStrategy</c>: <c>meta.access_token</c> and <c>meta.refresh_token</c> once logged in.</summary>
    Jwt,
}

/// <summary>
/// <c>Gatehouse:Tokens</c>: the app client's token strategy and the JWT settings, named after allauth's
/// <c>HEADLESS_JWT_*</c> with its defaults. Where Gatehouse goes beyond allauth (asymmetric keys in the
/// database, rotation, refresh families) the setting says so.
/// </summary>
public sealed class TokenOptions
{
    public const string Section = "Gatehouse:Tokens";

    public TokenStrategyKind Strategy { get; set; } = TokenStrategyKind.Session;

    /// <summary>HEADLESS_JWT_ACCESS_TOKEN_EXPIRES_IN (300 s).</summary>
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromSeconds(300);
    /// <summary>HEADLESS_JWT_REFRESH_TOKEN_EXPIRES_IN (86,400 s); a session's own lifetime still caps it.</summary>
    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromSeconds(86_400);
    /// <summary>HEADLESS_JWT_ROTATE_REFRESH_TOKEN: each refresh answers a new refresh token and the old one is spent.</summary>
    public bool RotateRefreshToken { get; set; } = true;
    /// <summary>HEADLESS_JWT_AUTHORIZATION_HEADER_SCHEME: <c>Authorization: Bearer &lt;access token&gt;</c>.</summary>
    public string AuthorizationHeaderScheme { get; set; } = "Bearer";
    /// <summary>
    /// HEADLESS_JWT_STATEFUL_VALIDATION_ENABLED: whether a Bearer token on a host app's routes (the
    /// <c>AddGatehouse()</c> scheme) and <see cref="AccessTokenValidator"/> also require the token's session to be
    /// alive (one query by id). On by default, unlike allauth's: a logout or password change then ends the token
    /// everywhere at once. Off, a host route trusts the token's claims until it expires, with no query (the
    /// benchmark's stateless scenario). Gatehouse's own endpoints always check the session, whatever this says.
    /// </summary>
    public bool StatefulValidation { get; set; } = true;

    /// <summary>The <c>iss</c> of every token (allauth sets none); set it to the server's public URL.</summary>
    public string Issuer { get; set; } = "gatehouse";
    /// <summary>The <c>aud</c> of every access token (allauth sets none); validators require exactly this.</summary>
    public string Audience { get; set; } = "gatehouse";

    /// <summary>ES256 (default) or RS256. allauth's default is RS256 from a PEM in settings; ours are keys generated and kept in the database.</summary>
    public string Algorithm { get; set; } = SigningAlgorithms.Es256;

    /// <summary>
    /// Ours: a refresh token presented again within this time of its rotation gets the same new pair
    /// (a client's concurrent refreshes); after it, the reuse revokes the family and its session.
    /// </summary>
    public TimeSpan RefreshReuseGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Ours: a new signing key is made when the newest is this old (00:00:00 turns scheduled rotation off).</summary>
    public TimeSpan KeyRotationInterval { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Ours: a rotated key is published in the JWKS this long before it signs, so every node and every
    /// validator that caches the JWKS knows it first. At least the JWKS cache time plus the key reload interval.
    /// </summary>
    public TimeSpan KeyPublicationDelay { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Clock difference tolerated between nodes and validators for <c>exp</c>, <c>nbf</c> and <c>iat</c>.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long validators may cache <c>/.well-known/jwks.json</c> (its Cache-Control max-age).</summary>
    public TimeSpan JwksCacheDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often each node re-reads the keys from the database (new keys from other nodes, rotation due).</summary>
    public TimeSpan KeyReloadInterval { get; set; } = TimeSpan.FromMinutes(1);

    public bool JwtEnabled => Strategy == TokenStrategyKind.Jwt;

    /// <summary>Set from <c>Gatehouse:CookieTokens:Enabled</c> (not bound here): the cookie endpoints sign access tokens too.</summary>
    internal bool CookieTokensEnabled { get; set; }

    /// <summary>Whether anything signs access tokens (the JWT strategy or the cookie endpoints): keys are loaded and published.</summary>
    public bool SigningEnabled => JwtEnabled || CookieTokensEnabled;
}

public static class SigningAlgorithms
{
    public const string Es256 = "ES256";
    public const string Rs256 = "RS256";
    public static readonly IReadOnlyList<string> Supported = [Es256, Rs256];
}

internal sealed class TokenOptionsValidator : IValidateOptions<TokenOptions>
{
    public ValidateOptionsResult Validate(string? name, TokenOptions options)
    {
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Strategy))
        {
            failures.Add("Gatehouse:Tokens:Strategy must be Session or Jwt.");
        }
        if (options.AccessTokenLifetime < TimeSpan.FromSeconds(10) || options.AccessTokenLifetime > TimeSpan.FromDays(1))
        {
            failures.Add($"Gatehouse:Tokens:AccessTokenLifetime must be between 00:00:10 and 1.00:00:00 (got {options.AccessTokenLifetime}; allauth's default is 00:05:00).");
        }
        if (options.RefreshTokenLifetime <= options.AccessTokenLifetime)
        {
            failures.Add($"Gatehouse:Tokens:RefreshTokenLifetime must be longer than AccessTokenLifetime (got {options.RefreshTokenLifetime}; allauth's default is 1.00:00:00).");
        }
        if (string.IsNullOrWhiteSpace(options.AuthorizationHeaderScheme) || !options.AuthorizationHeaderScheme.All(char.IsAsciiLetterOrDigit))
        {
            failures.Add($"Gatehouse:Tokens:AuthorizationHeaderScheme must be one word of letters and digits such as Bearer (got \"{options.AuthorizationHeaderScheme}\").");
        }
        if (string.IsNullOrWhiteSpace(options.Issuer))
        {
            failures.Add("Gatehouse:Tokens:Issuer must be set (e.g. https://auth.example.com): validators compare it.");
        }
        if (string.IsNullOrWhiteSpace(options.Audience))
        {
            failures.Add("Gatehouse:Tokens:Audience must be set (e.g. https://api.example.com): validators compare it.");
        }
        if (!SigningAlgorithms.Supported.Contains(options.Algorithm, StringComparer.Ordinal))
        {
            failures.Add($"Gatehouse:Tokens:Algorithm must be ES256 or RS256 (got \"{options.Algorithm}\"); symmetric algorithms are not offered: every validator would hold the signing secret.");
        }
        if (options.RefreshReuseGracePeriod < TimeSpan.Zero || options.RefreshReuseGracePeriod > TimeSpan.FromMinutes(1))
        {
            failures.Add($"Gatehouse:Tokens:RefreshReuseGracePeriod must be between 00:00:00 and 00:01:00 (got {options.RefreshReuseGracePeriod}): a long window lets a stolen refresh token be used unnoticed.");
        }
        if (options.KeyRotationInterval < TimeSpan.Zero || (options.KeyRotationInterval > TimeSpan.Zero && options.KeyRotationInterval < TimeSpan.FromHours(1)))
        {
            failures.Add($"Gatehouse:Tokens:KeyRotationInterval must be 00:00:00 (off) or at least 01:00:00 (got {options.KeyRotationInterval}).");
        }
        if (options.KeyReloadInterval < TimeSpan.FromSeconds(1) || options.KeyReloadInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"Gatehouse:Tokens:KeyReloadInterval must be between 00:00:01 and 01:00:00 (got {options.KeyReloadInterval}).");
        }
        if (options.JwksCacheDuration < TimeSpan.Zero || options.JwksCacheDuration > TimeSpan.FromDays(1))
        {
            failures.Add($"Gatehouse:Tokens:JwksCacheDuration must be between 00:00:00 and 1.00:00:00 (got {options.JwksCacheDuration}).");
        }
        if (options.KeyPublicationDelay < options.JwksCacheDuration + options.KeyReloadInterval)
        {
            failures.Add($"Gatehouse:Tokens:KeyPublicationDelay ({options.KeyPublicationDelay}) must be at least JwksCacheDuration + KeyReloadInterval " +
                $"({options.JwksCacheDuration + options.KeyReloadInterval}): a new key must be known everywhere before it signs.");
        }
        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(5))
        {
            failures.Add($"Gatehouse:Tokens:ClockSkew must be between 00:00:00 and 00:05:00 (got {options.ClockSkew}).");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
