using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using Gatehouse.Configuration;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gatehouse.Tokens;

/// <summary>Claim names of Gatehouse's access tokens (RFC 7519 registered names, allauth's <c>token_use</c>, and ours).</summary>
public static class AccessTokenClaimNames
{
    public const string Subject = "sub";
    public const string SessionId = "sid";
    public const string TokenId = "jti";
    public const string TokenUse = "token_use";
    public const string Email = "email";
    public const string EmailVerified = "email_verified";
    public const string IsStaff = "is_staff";
    public const string HasMfa = "has_mfa";
    /// <summary>Not one of allauth's: lets a host route answer the seeds' current user (username) from the token alone.</summary>
    public const string Username = "username";

    /// <summary>Set by Gatehouse whatever a contributor returns (allauth's reserved claims, plus iss and aud).</summary>
    public static readonly IReadOnlySet<string> Reserved = new HashSet<string>(StringComparer.Ordinal)
    {
        "iss", "aud", "iat", "exp", "nbf", Subject, SessionId, TokenId, TokenUse,
    };
}

/// <summary>
/// Adds claims to every access token (allauth's <c>JWTTokenStrategy.get_claims</c>). Organisations will add
/// <c>tenant_id</c> / <c>current_tenant_id</c> here. Reserved claims (<see cref="AccessTokenClaimNames.Reserved"/>)
/// are set by Gatehouse and cannot be overridden. Registered as scoped services; they run in registration order.
/// </summary>
public interface IAccessTokenClaims
{
    ValueTask AddClaimsAsync(AccessTokenSubject subject, IDictionary<string, object> claims, CancellationToken ct);
}

/// <summary>Who an access token is for, as read from the database when it is issued (login and refresh).</summary>
public sealed record AccessTokenSubject(long UserId, long SessionId, string? Email, bool EmailVerified, bool IsStaff, bool HasMfa, string? Username = null);

/// <summary>Reads the subject of a new access token and asks the claim contributors (scoped: one request's DbContext).</summary>
public sealed class AccessTokenClaimsBuilder(GatehouseDbContext db, IEnumerable<IAccessTokenClaims> contributors, IOptions<MfaOptions> mfa)
{
    // has_mfa as the session check reads it (SessionLookup): only authenticators of a type this server supports.
    private readonly string[] _mfaTypes = MfaTypes.InWireOrder.Where(mfa.Value.Supports).ToArray();

    public async Task<(AccessTokenSubject Subject, Dictionary<string, object> Claims)?> BuildAsync(long userId, long sessionId, CancellationToken ct)
    {
        var user = await db.Users.AsNoTracking()
            .Where(u => u.Id == userId)
            .Select(u => new
            {
                Primary = u.EmailAddresses.Where(e => e.IsPrimary).Select(e => new { e.Email, e.Verified }).FirstOrDefault(),
                u.IsStaff,
                u.Username,
                HasMfa = db.Authenticators.Any(a => a.UserId == u.Id && _mfaTypes.Contains(a.Type)),
            })
            .FirstOrDefaultAsync(ct);
        if (user is null)
        {
            return null;
        }
        var subject = new AccessTokenSubject(userId, sessionId, user.Primary?.Email, user.Primary?.Verified ?? false, user.IsStaff, user.HasMfa, user.Username);
        var claims = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var contributor in contributors)
        {
            await contributor.AddClaimsAsync(subject, claims, ct);
        }
        // The user's facts are Gatehouse's (a host route may trust them from the token alone): a contributor's
        // value never stands in for a user who has no address or username.
        claims.Remove(AccessTokenClaimNames.Email);
        claims.Remove(AccessTokenClaimNames.Username);
        if (subject.Email is not null)
        {
            claims[AccessTokenClaimNames.Email] = subject.Email;
        }
        claims[AccessTokenClaimNames.EmailVerified] = subject.EmailVerified;
        claims[AccessTokenClaimNames.IsStaff] = subject.IsStaff;
        claims[AccessTokenClaimNames.HasMfa] = subject.HasMfa;
        if (subject.Username is not null)
        {
            claims[AccessTokenClaimNames.Username] = subject.Username;
        }
        return (subject, claims);
    }
}

/// <summary>Signs access tokens with the current key (Microsoft.IdentityModel.JsonWebTokens; no hand-written JOSE).</summary>
public sealed class AccessTokenIssuer(SigningKeys keys, IOptions<TokenOptions> options, TimeProvider time)
{
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly TokenOptions _options = options.Value;

    public string Create(AccessTokenSubject subject, IReadOnlyDictionary<string, object> extraClaims)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var key = keys.Current.SigningKeyAt(now)
            ?? throw new InvalidOperationException("No JWT signing key is loaded yet; the key worker loads one at start-up.");
        var claims = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var (name, value) in extraClaims)
        {
            if (!AccessTokenClaimNames.Reserved.Contains(name))
            {
                claims[name] = value;
            }
        }
        claims[AccessTokenClaimNames.Subject] = subject.UserId.ToString(CultureInfo.InvariantCulture);
        claims[AccessTokenClaimNames.SessionId] = subject.SessionId.ToString(CultureInfo.InvariantCulture);
        claims[AccessTokenClaimNames.TokenId] = Guid.NewGuid().ToString("D");
        claims[AccessTokenClaimNames.TokenUse] = "access";
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            Audience = _options.Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + _options.AccessTokenLifetime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(key.PrivateKey, key.Algorithm),
        };
        return _handler.CreateToken(descriptor);
    }
}

/// <summary>Why an access token was refused; never shown to clients in more detail than "invalid".</summary>
public enum AccessTokenFailure { None, Invalid, SessionEnded }

/// <summary>An access token whose signature, issuer, audience, lifetime and use were checked.</summary>
/// <param name="User">
/// The user as the token's claims describe it, read once when the token is verified (a cached token is presented on
/// every request of its lifetime; reading five claims each time was 2% of a stateless Bearer request's CPU).
/// Immutable, so requests share it. HasUsablePassword is not in the token; host routes never read it.
/// </param>
public sealed record ValidatedAccessToken(long UserId, long SessionId, string TokenId, DateTime ExpiresAt, JsonWebToken Token, SessionUser User)
{
    /// <summary>The user facts of a verified token's claims (<see cref="User"/>).</summary>
    internal static SessionUser UserFrom(long userId, JsonWebToken token)
    {
        string? Text(string name) => token.TryGetPayloadValue<string>(name, out var value) ? value : null;
        bool Flag(string name) => token.TryGetPayloadValue<bool>(name, out var value) && value;
        return new SessionUser(userId, Text(AccessTokenClaimNames.Username), Text(AccessTokenClaimNames.Email), HasUsablePassword: true)
        {
            EmailVerified = Flag(AccessTokenClaimNames.EmailVerified),
            IsStaff = Flag(AccessTokenClaimNames.IsStaff),
            HasMfa = Flag(AccessTokenClaimNames.HasMfa),
        };
    }

    /// <summary>The token's claims as a <see cref="ClaimsIdentity"/> (names as in the token: sub, email, has_mfa...).</summary>
    public ClaimsIdentity ToIdentity(string authenticationType) =>
        new(Token.Claims, authenticationType, AccessTokenClaimNames.Subject, ClaimTypes.Role);
}

/// <summary>The outcome of <see cref="AccessTokenValidator.ValidateAsync(string, bool, CancellationToken)"/>.</summary>
public sealed record AccessTokenValidation(AccessTokenFailure Failure, ValidatedAccessToken? Token = null, LoadedSession? Session = null)
{
    public bool IsValid => Failure == AccessTokenFailure.None;
    public static readonly AccessTokenValidation Invalid = new(AccessTokenFailure.Invalid);
}

/// <summary>
/// "Validate this access token: which user and session does it stand for?" The one service that checks
/// Gatehouse's access tokens, for Gatehouse's own endpoints (<see cref="JwtTokenStrategy"/>) and for a host's
/// (C8). Stateless by default: signature with a published key named by <c>kid</c> (ES256/RS256 only, so
/// <c>none</c> and HMAC with the public key are refused), <c>iss</c>, <c>aud</c>, <c>exp</c>, <c>nbf</c>, an
/// <c>iat</c> not in the future, <c>token_use=access</c>. Stateful (<see cref="TokenOptions.StatefulValidation"/>,
/// or asked for) also requires the session to be alive: logout, password change, a deleted session or a
/// deactivated account then refuse it at once.
/// </summary>
public sealed class AccessTokenValidator
{
    private readonly SigningKeys _keys;
    private readonly SessionLookup _sessions;
    private readonly TokenOptions _options;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters _parameters;

    /// <summary>Longer strings are not tokens we issued; refused before parsing.</summary>
    public const int MaxTokenLength = 4096;

    // Tokens whose signature and claims were verified, keyed by the whole token string. A client sends the same
    // access token on every request for its lifetime, and the ES256 check alone was a quarter of a Bearer request's
    // CPU (profile, 2026-12-02). An entry counts only against the key set it was verified with (a reload that drops
    // or adds a key starts over), while its key is still published and within the token's lifetime by our clock.
    // Only the identical string finds an entry (ordinal equality of the whole token, so no collision can stand in
    // for a signature); a tampered token is another string and takes the full check. The key is the token itself,
    // not a hash of it: hashing it (UTF-8 bytes, SHA-256, Base64) was 3% of the request, and the cache lives in
    // memory only, beside the request buffers that hold the same tokens; nothing of it is ever stored.
    private readonly ConcurrentDictionary<string, (ValidatedAccessToken Token, SigningKeySet Keys)> _verified = new(StringComparer.Ordinal);
    private const int MaxVerified = 10_000;
    private int _verifiedCount;

    public AccessTokenValidator(SigningKeys keys, SessionLookup sessions, IOptions<TokenOptions> options, TimeProvider time)
    {
        _keys = keys;
        _sessions = sessions;
        _options = options.Value;
        _time = time;
        _parameters = new TokenValidationParameters
        {
            ValidIssuer = _options.Issuer,
            ValidAudience = _options.Audience,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ValidAlgorithms = SigningAlgorithms.Supported,
            ClockSkew = _options.ClockSkew,
            // The library's own lifetime check reads the system clock; this one reads ours (tests move it).
            LifetimeValidator = (notBefore, expires, _, _) => IsWithinLifetime(notBefore, expires),
            TryAllIssuerSigningKeys = false,
            IssuerSigningKeyResolver = ResolveKey,
            NameClaimType = AccessTokenClaimNames.Subject,
        };
    }

    // The whitespace an HTTP header value can hold between its parts (RFC 9110 OWS: space and horizontal tab).
    private const string HeaderWhitespace = " \t";

    /// <summary>The access token of <c>Authorization: &lt;scheme&gt; &lt;token&gt;</c> (allauth's get_authorization_credential), if any.</summary>
    public string? ReadFromRequest(HttpRequest request)
    {
        if (!request.Headers.TryGetValue("Authorization", out var values) || values.Count != 1 || values[0] is not { } header)
        {
            return null;
        }
        // "<scheme> <credential>" with any run of spaces or tabs around and between, as allauth's split() reads it;
        // anything else (a third part, no credential) is no token. Spans, not Split: this runs on every Bearer request.
        var value = header.AsSpan().Trim(HeaderWhitespace);
        var gap = value.IndexOfAny(HeaderWhitespace);
        if (gap <= 0 || !value[..gap].Equals(_options.AuthorizationHeaderScheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var credential = value[gap..].TrimStart(HeaderWhitespace);
        return credential.IsEmpty || credential.IndexOfAny(HeaderWhitespace) >= 0 ? null : credential.ToString();
    }

    /// <summary>Validates as <see cref="TokenOptions.StatefulValidation"/> says.</summary>
    public Task<AccessTokenValidation> ValidateAsync(string token, CancellationToken ct) => ValidateAsync(token, _options.StatefulValidation, ct);

    public async Task<AccessTokenValidation> ValidateAsync(string token, bool stateful, CancellationToken ct)
    {
        var validated = await ValidateSignedAsync(token, ct);
        if (validated is null)
        {
            return AccessTokenValidation.Invalid;
        }
        if (!stateful)
        {
            return new AccessTokenValidation(AccessTokenFailure.None, validated);
        }
        var session = await _sessions.FindByIdAsync(validated.SessionId, validated.UserId, ct);
        return session is null
            ? new AccessTokenValidation(AccessTokenFailure.SessionEnded, validated)
            : new AccessTokenValidation(AccessTokenFailure.None, validated, session);
    }

    private async Task<ValidatedAccessToken?> ValidateSignedAsync(string token, CancellationToken ct)
    {
        if (token.Length > MaxTokenLength)
        {
            return null;
        }
        if (_verified.TryGetValue(token, out var seen) && ReferenceEquals(seen.Keys, _keys.Current) &&
            IsWithinLifetime(seen.Token.Token.ValidFrom == DateTime.MinValue ? null : seen.Token.Token.ValidFrom, seen.Token.ExpiresAt) &&
            IsStillPublished(seen.Token.Token))
        {
            return seen.Token;
        }
        if (!_handler.CanReadToken(token))
        {
            return null;
        }
        JsonWebToken unverified;
        try
        {
            unverified = _handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return null;
        }
        if (string.IsNullOrEmpty(unverified.Kid))
        {
            return null; // every token we sign names its key
        }
        if (_keys.Current.Find(unverified.Kid) is null && !await _keys.ReloadForUnknownKidAsync(unverified.Kid, ct))
        {
            return null;
        }

        var keys = _keys.Current;
        var result = await _handler.ValidateTokenAsync(unverified, _parameters); // the token read above: no second parse
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return null;
        }
        // RFC 7519 leaves iat unchecked; a token "issued" in the future was not issued by us with a sane clock.
        if (jwt.TryGetPayloadValue<long>("iat", out var iat) &&
            DateTimeOffset.FromUnixTimeSeconds(iat) > _time.GetUtcNow() + _options.ClockSkew)
        {
            return null;
        }
        if (!jwt.TryGetPayloadValue<string>(AccessTokenClaimNames.TokenUse, out var use) || use != "access" ||
            !jwt.TryGetPayloadValue<string>(AccessTokenClaimNames.Subject, out var sub) || !long.TryParse(sub, NumberStyles.None, CultureInfo.InvariantCulture, out var userId) ||
            !jwt.TryGetPayloadValue<string>(AccessTokenClaimNames.SessionId, out var sid) || !long.TryParse(sid, NumberStyles.None, CultureInfo.InvariantCulture, out var sessionId) ||
            !jwt.TryGetPayloadValue<string>(AccessTokenClaimNames.TokenId, out var jti))
        {
            return null;
        }
        var validated = new ValidatedAccessToken(userId, sessionId, jti, jwt.ValidTo, jwt, ValidatedAccessToken.UserFrom(userId, jwt));
        // ConcurrentDictionary.Count takes every lock; an approximate count of our own is enough for the bound.
        if (Interlocked.Increment(ref _verifiedCount) > MaxVerified)
        {
            _verified.Clear(); // crude but bounded: entries are re-verified on their next use
            Interlocked.Exchange(ref _verifiedCount, 0);
        }
        _verified[token] = (validated, keys);
        return validated;
    }

    private bool IsStillPublished(JsonWebToken token) =>
        _keys.Current.Find(token.Kid) is { } key && SigningKeySet.IsPublished(key, _time.GetUtcNow().UtcDateTime, _keys.RetentionAfterSupersede);

    private bool IsWithinLifetime(DateTime? notBefore, DateTime? expires)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return expires is { } exp && exp.ToUniversalTime() + _options.ClockSkew > now &&
            (notBefore is not { } nbf || nbf.ToUniversalTime() - _options.ClockSkew <= now);
    }

    /// <summary>Only the published key the header names, and only for its own algorithm.</summary>
    private IEnumerable<SecurityKey> ResolveKey(string token, SecurityToken securityToken, string kid, TokenValidationParameters parameters)
    {
        var key = _keys.Current.Find(kid);
        if (key is null || securityToken is not JsonWebToken jwt || jwt.Alg != key.Algorithm ||
            !SigningKeySet.IsPublished(key, _time.GetUtcNow().UtcDateTime, _keys.RetentionAfterSupersede))
        {
            return [];
        }
        return [key.PublicKey];
    }
}
