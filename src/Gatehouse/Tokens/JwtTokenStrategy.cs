using System.Text.Json;
using Gatehouse.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gatehouse.Tokens;

/// <summary>
/// allauth's <c>JWTTokenStrategy</c>: while a user is not fully logged in the app client carries
/// <c>X-Session-Token</c>; the response that logs in (or rotates the session) also carries
/// <c>meta.access_token</c> and <c>meta.refresh_token</c>, and from then on <c>Authorization: Bearer</c>
/// reaches Gatehouse's own endpoints. Unlike allauth's stateless default, a Bearer token on Gatehouse's
/// endpoints is always checked against its session (one query by id): a logout, password change, deleted
/// session or deactivated account refuses it at once (410, as a dead session token). On a host app's routes (C8)
/// <c>Tokens:StatefulValidation</c> decides (allauth's HEADLESS_JWT_STATEFUL_VALIDATION_ENABLED; on by default here, off in allauth):
/// stateless, the user's facts come from the token's claims and no query runs; an ended session's token then
/// stays usable there until it expires (AccessTokenLifetime, 5 minutes by default).
/// </summary>
public sealed class JwtTokenStrategy(AccessTokenValidator validator, SessionLookup sessions, IOptions<TokenOptions> options) : ITokenStrategy
{
    private readonly SessionTokenStrategy _sessionTokens = new();

    /// <summary>X-Session-Token first, as allauth's <c>get_session_token</c> calls its base class first.</summary>
    public string? ReadSessionToken(HttpRequest request) => _sessionTokens.ReadSessionToken(request);

    public void WriteMeta(Utf8JsonWriter meta, IssuedSession issued) => _sessionTokens.WriteMeta(meta, issued);

    public bool IssuesRefreshTokens => true;

    public async ValueTask<AccessTokenSession?> ReadAccessTokenAsync(HttpContext context)
    {
        if (validator.ReadFromRequest(context.Request) is not { } token)
        {
            return null;
        }
        // Invalid tokens (tampered, expired, wrong key, audience or issuer) count as none: the request is
        // anonymous and authenticated endpoints answer allauth's 401, after which the client refreshes.
        var validation = await validator.ValidateAsync(token, stateful: false, context.RequestAborted);
        if (validation.Token is not { } valid)
        {
            return null;
        }
        // Fail closed: before routing (no endpoint yet) the route may be Gatehouse's own, so the session is checked.
        if (!options.Value.StatefulValidation && context.GetEndpoint() is { } endpoint && endpoint.Metadata.GetMetadata<ClientKindMetadata>() is null)
        {
            return new AccessTokenSession(FromClaims(valid), valid);
        }
        var session = await sessions.FindByIdAsync(valid.SessionId, valid.UserId, context.RequestAborted);
        return new AccessTokenSession(session, valid);
    }

    /// <summary>The session as the token describes it, for a stateless host route: what the host's claims need, nothing more.</summary>
    private static LoadedSession FromClaims(ValidatedAccessToken valid) => new()
    {
        Id = valid.SessionId,
        CreatedAt = valid.Token.IssuedAt,
        LastSeenAt = valid.Token.IssuedAt,
        StateJson = null,
        User = valid.User,
    };

    public async ValueTask<Action<Utf8JsonWriter>?> PrepareMetaAsync(HttpContext context, IssuedSession issued)
    {
        // allauth's expose_access_token: only for a session that is logged in (a pending flow gets the session token only).
        if (issued.Row.UserId is not { } userId)
        {
            return meta => WriteMeta(meta, issued);
        }
        // SessionStore stored the first refresh token with the session (AuthContext.IssuesRefreshTokens).
        var refreshToken = issued.RefreshToken ?? throw new InvalidOperationException("A logged-in app session was started without its first refresh token.");
        var refresh = context.RequestServices.GetRequiredService<RefreshTokenFlow>();
        if (await refresh.FirstAccessTokenAsync(issued.Row.Id, userId, context.RequestAborted) is not { } accessToken)
        {
            return null; // the session ended (or its user went) between the flow's commit and its access token
        }
        return meta =>
        {
            WriteMeta(meta, issued);
            meta.WriteString("access_token", accessToken);
            meta.WriteString("refresh_token", refreshToken);
        };
    }
}
