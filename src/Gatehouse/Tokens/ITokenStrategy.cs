using System.Text.Json;
using Gatehouse.Sessions;

namespace Gatehouse.Tokens;

/// <summary>
/// How the app client's session travels, after allauth's <c>tokens/strategies/base.py</c>: where a request
/// carries its session token, and what a response puts in <c>meta</c> for a session the request created or
/// rotated (<c>session_token</c> now; <c>access_token</c>/<c>refresh_token</c> with the JWT strategy later).
/// The only place that decides either: the session store issues, the endpoint filter asks this.
/// The browser client is not affected (its session is the HttpOnly cookie), as in allauth.
/// </summary>
public interface ITokenStrategy
{
    /// <summary>The session token the request carries, if any (allauth's <c>get_session_token</c>).</summary>
    string? ReadSessionToken(HttpRequest request);

    /// <summary>Writes the members of <c>meta</c> for <paramref name="issued"/> (allauth's <c>create_access_token_payload</c>).</summary>
    void WriteMeta(Utf8JsonWriter meta, IssuedSession issued);

    /// <summary>
    /// The session the request's access token stands for (the JWT strategy's <c>Authorization: Bearer</c>), checked
    /// when no session token was sent: null when the request carries no access token that validates; a result
    /// whose <see cref="AccessTokenSession.Session"/> is null when the token is valid but its session has ended.
    /// </summary>
    ValueTask<AccessTokenSession?> ReadAccessTokenAsync(HttpContext context) => ValueTask.FromResult<AccessTokenSession?>(null);

    /// <summary>
    /// A logged-in app session gets refresh tokens (its first one is stored with it: <see cref="AuthContext.IssuesRefreshTokens"/>).
    /// A strategy (or a host's wrapper of one) whose <see cref="PrepareMetaAsync"/> hands out
    /// <see cref="IssuedSession.RefreshToken"/> must answer true, or its logins fail after their commit.
    /// </summary>
    bool IssuesRefreshTokens => false;

    /// <summary>
    /// What <c>meta</c> gets for <paramref name="issued"/>, prepared after the flow committed (the JWT strategy
    /// signs the session's first access token here). The default writes <see cref="WriteMeta"/>. Null when the
    /// session can no longer be handed out (a concurrent request ended it after the flow's commit): the request
    /// is then answered as for an ended session, never as a login without its tokens.
    /// </summary>
    ValueTask<Action<Utf8JsonWriter>?> PrepareMetaAsync(HttpContext context, IssuedSession issued) =>
        ValueTask.FromResult<Action<Utf8JsonWriter>?>(meta => WriteMeta(meta, issued));
}

/// <summary>The session a valid access token names; <see cref="Session"/> is null when that session has ended.</summary>
public sealed record AccessTokenSession(LoadedSession? Session, ValidatedAccessToken Token);

/// <summary>allauth's default <c>SessionTokenStrategy</c>: an opaque token in <c>X-Session-Token</c> and <c>meta.session_token</c>.</summary>
public sealed class SessionTokenStrategy : ITokenStrategy
{
    public const string Header = "X-Session-Token";

    public string? ReadSessionToken(HttpRequest request) =>
        request.Headers.TryGetValue(Header, out var value) && value.Count > 0 && value[0] is { Length: > 0 } token ? token : null;

    public void WriteMeta(Utf8JsonWriter meta, IssuedSession issued) => meta.WriteString("session_token", issued.Token);
}
