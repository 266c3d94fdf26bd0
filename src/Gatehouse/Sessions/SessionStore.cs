using Gatehouse.Account;
using Gatehouse.Configuration;
using Gatehouse.Security;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Gatehouse.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Sessions;

/// <summary>
/// Starts, rotates and ends sessions. Writes are added to the request's DbContext so they commit
/// together with the flow's other changes. (Reading a session per request is <see cref="SessionLookup"/>'s.)
/// </summary>
public sealed class SessionStore(GatehouseDbContext db, RefreshTokenMint refreshTokens, TimeProvider time, IOptions<SessionOptions> options)
{
    /// <summary>
    /// Starts a logged-in session (new token, new CSRF token) for <paramref name="user"/> and drops the
    /// request's current one: a token seen before login is never the one that is authenticated. The session
    /// records the user's security stamp as this request saw it; a password change or reset that commits in
    /// between replaces the stamp, and the session check then refuses this session.
    /// </summary>
    public void StartLoggedIn(AuthContext auth, User user, SessionState state) =>
        Start(auth, UserDirectory.ToSessionUser(user), user.SecurityStamp, state);

    /// <summary>Starts a new anonymous session carrying a pending flow, dropping the request's current one.</summary>
    public void StartAnonymous(AuthContext auth, SessionState state) => Start(auth, null, "", state);

    private void Start(AuthContext auth, SessionUser? user, string stamp, SessionState state)
    {
        if (auth.Session is { Created: { Id: 0 } unsaved })
        {
            // A session this request started and has not saved yet (a flow that began a pending session, then
            // logged in): it is never handed out, so it is not inserted either, nor its first refresh token.
            Discard(unsaved);
        }
        else if (auth.Session is { } current)
        {
            RemoveById(current.Id);
        }
        var token = Secrets.NewSessionToken();
        var now = time.GetUtcNow().UtcDateTime;
        var entity = new Session
        {
            TokenHash = Secrets.Sha256(token),
            Client = auth.Client.Wire(),
            UserId = user?.Id,
            AuthStamp = stamp,
            State = state.Serialize(),
            CreatedAt = now,
            LastSeenAt = now,
            ExpiresAt = ExpiryFor(user, state, now),
            Ip = auth.Ip,
            UserAgent = auth.UserAgent,
        };
        db.Sessions.Add(entity);
        string? refresh = null;
        if (user is not null && auth.IssuesRefreshTokens)
        {
            // The family's first token is inserted with its session, in the flow's one save: a failure to store
            // it leaves no session behind, and no session commits that a client could not refresh.
            (refresh, var row) = refreshTokens.ForNewSession(entity);
            db.RefreshTokens.Add(row);
        }
        auth.Issued = new IssuedSession(token, entity) { RefreshToken = refresh };
        auth.RotateCsrf = user is not null;
        auth.Session = new LoadedSession { Created = entity, CreatedAt = now, LastSeenAt = now, User = user, StateJson = entity.State };
    }

    /// <summary>Keeps the session and its token, replacing its state (e.g. a new pending flow).</summary>
    public void SaveState(AuthContext auth, SessionState state)
    {
        if (auth.Session is null)
        {
            StartAnonymous(auth, state);
            return;
        }
        var json = state.Serialize();
        // A session created in this request is still being inserted; an existing one is updated in place.
        var created = auth.Session.Created;
        var entity = created ?? Stub(auth.Session.Id);
        entity.State = json;
        if (auth.Session.User is null)
        {
            entity.ExpiresAt = ExpiryFor(null, state, time.GetUtcNow().UtcDateTime);
        }
        if (created is null)
        {
            db.Entry(entity).Property(s => s.State).IsModified = true;
            db.Entry(entity).Property(s => s.ExpiresAt).IsModified = auth.Session.User is null;
        }
        auth.Session = new LoadedSession
        {
            Id = auth.Session.Id, Created = auth.Session.Created, CreatedAt = auth.Session.CreatedAt,
            LastSeenAt = auth.Session.LastSeenAt, User = auth.Session.User, StateJson = json,
        };
    }

    /// <summary>
    /// A logged-in session lives the configured lifetime; an anonymous one an hour past its pending flow,
    /// so abandoned signups and code requests do not pile up for two weeks, while a client that comes
    /// back late still hears 409 (flow over) before its token is gone (410), as with allauth.
    /// </summary>
    private DateTime ExpiryFor(SessionUser? user, SessionState state, DateTime now)
    {
        var full = now + options.Value.Lifetime;
        // A passkey login's anonymous session lives as long as its ceremony, like a pending flow.
        var anonymous = (state.Pending?.ExpiresAt ?? state.WebAuthn?.ExpiresAt) + AnonymousGrace;
        return user is null && anonymous < full ? anonymous.Value : full;
    }

    private static readonly TimeSpan AnonymousGrace = TimeSpan.FromHours(1);

    /// <summary>Ends the request's session (logout).</summary>
    public void End(AuthContext auth)
    {
        if (auth.Session is { } current)
        {
            RemoveById(current.Id);
            auth.Session = null;
        }
        auth.SessionEnded = true;
    }

    /// <summary>
    /// Ends every session of <paramref name="user"/> at once, including logins still in flight: a new
    /// security stamp (saved with the unit of work) makes every session that recorded the old one dead.
    /// The caller starts the session it keeps afterwards, with the new stamp.
    /// </summary>
    public static void RevokeAll(User user) => user.SecurityStamp = Secrets.NewUrlKey();

    /// <summary>Deletes all of a user's sessions except <paramref name="keepId"/>; runs immediately (inside the caller's transaction).</summary>
    public Task<int> EndOthersAsync(long userId, long? keepId, CancellationToken ct) =>
        db.Sessions.Where(s => s.UserId == userId && s.Id != (keepId ?? -1)).ExecuteDeleteAsync(ct);

    private void Discard(Session unsaved)
    {
        // Rows that point at it through a navigation would otherwise insert it again.
        var dependents = db.ChangeTracker.Entries()
            .Where(e => e.Entity is RefreshToken { Session: var s } && s == unsaved || e.Entity is TrustedBrowserSession { Session: var t } && t == unsaved)
            .ToList();
        foreach (var dependent in dependents)
        {
            dependent.State = EntityState.Detached;
        }
        db.Entry(unsaved).State = EntityState.Detached;
    }

    private void RemoveById(long id)
    {
        var tracked = db.Sessions.Local.FirstOrDefault(s => s.Id == id);
        db.Sessions.Remove(tracked ?? Stub(id));
    }

    private Session Stub(long id)
    {
        var stub = db.Sessions.Local.FirstOrDefault(s => s.Id == id);
        if (stub is not null)
        {
            return stub;
        }
        stub = new Session { Id = id, TokenHash = [], Client = "", Ip = "", UserAgent = "" };
        db.Sessions.Attach(stub);
        return stub;
    }
}
