namespace Gatehouse.Sessions;

/// <summary>The user as the API shows it, loaded with the session in one query.</summary>
public sealed record SessionUser(long Id, string? Username, string? Email, bool HasUsablePassword)
{
    /// <summary>The primary address is verified.</summary>
    public bool EmailVerified { get; init; }
    public bool IsStaff { get; init; }
    /// <summary>The user has an authenticator of a supported type (the login asks for a second factor).</summary>
    public bool HasMfa { get; init; }
}

/// <summary>A session row as read on each request (no change tracking).</summary>
public sealed class LoadedSession
{
    private readonly long _id;

    /// <summary>The row's id; for a session created in this request, known once it is saved.</summary>
    public long Id { get => Created?.Id ?? _id; init => _id = value; }
    internal Storage.Entities.Session? Created { get; init; }
    public required DateTime CreatedAt { get; init; }
    /// <summary>When the session was last seen (updated at most once per Sessions:ActivityUpdateInterval).</summary>
    public DateTime LastSeenAt { get; init; }
    public required SessionUser? User { get; init; }
    public required string? StateJson { get; init; }

    private SessionState? _state;
    public SessionState State => _state ??= SessionState.Parse(StateJson);
}

/// <summary>A session this request created: the token (known only now, never stored) and its row.</summary>
public sealed record IssuedSession(string Token, Storage.Entities.Session Row)
{
    /// <summary>The first refresh token of its family, stored with the row, when <see cref="AuthContext.IssuesRefreshTokens"/>.</summary>
    public string? RefreshToken { get; init; }
}

/// <summary>
/// Per-request authentication state, filled by <see cref="SessionEndpointFilter"/> before a handler
/// runs and read by it afterwards to write cookies and <c>meta.session_token</c>.
/// </summary>
public sealed class AuthContext
{
    public ClientKind Client { get; set; }
    /// <summary>
    /// The request this context belongs to, set with it by the filter. Services that need the request (a cookie,
    /// Development's link origin) read it here instead of through IHttpContextAccessor, which Gatehouse does not
    /// register: the accessor costs every request of the host an AsyncLocal write (docs/design.md, Sessions and tokens).
    /// </summary>
    internal HttpContext? Http { get; set; }
    public LoadedSession? Session { get; set; }
    public string Ip { get; set; } = "";
    public string UserAgent { get; set; } = "";

    /// <summary>
    /// A session created or rotated by this request: its token goes to the client as the token strategy
    /// says (app: <c>meta.session_token</c>) or into the cookie (browser).
    /// </summary>
    public IssuedSession? Issued { get; set; }
    /// <summary>
    /// A logged-in session this request starts gets its first refresh token in the same unit of work (the JWT
    /// strategy's app client; the cookie endpoints), so no session commits without it.
    /// </summary>
    public bool IssuesRefreshTokens { get; set; }
    /// <summary>The browser session was ended; the cookie is cleared.</summary>
    public bool SessionEnded { get; set; }
    /// <summary>Django rotates the CSRF token at login.</summary>
    public bool RotateCsrf { get; set; }

    public SessionUser? User => Session?.User;
    public bool IsAuthenticated => Session?.User is not null;

    /// <summary>The pending flow of this session, if any and not expired.</summary>
    public PendingFlow? PendingAt(DateTime now)
    {
        var pending = Session?.User is null ? Session?.State.Pending : null;
        return pending is not null && pending.ExpiresAt > now ? pending : null;
    }
}
