using Gatehouse.Account;
using Gatehouse.Account.Flows;
using Gatehouse.Account.Stages;
using Gatehouse.Audit;
using Gatehouse.Configuration;
using Gatehouse.Http;
using Gatehouse.Security;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SessionOptions = Gatehouse.Configuration.SessionOptions;

namespace Gatehouse.Mfa;

/// <summary>
/// "Trust this browser" (allauth's MFA_TRUST_ENABLED, mfa/internal/flows/trust.py). allauth signs a list of
/// (fingerprint of the user's MFA set-up, time) into the cookie; we give the browser a random value and keep only
/// its SHA-256 with the user's security stamp, so a trust can be revoked one by one and ends at a password change
/// or reset (new stamp) and when an authenticator is removed (rows deleted), and a database copy holds nothing
/// that passes for a cookie.
/// </summary>
public sealed class TrustedBrowsers(
    GatehouseDbContext db, AuthContext auth, TimeProvider time,
    IOptions<MfaOptions> options, IOptions<SessionOptions> sessionOptions)
{
    private readonly MfaOptions _options = options.Value;
    // This request's trust, granted or matched, to be linked to the session the login starts (LinkAsync).
    private TrustedBrowser? _granted;
    private long? _matchedId;

    /// <summary>Whether this browser's trust cookie names a live trust of <paramref name="user"/>.</summary>
    public async Task<bool> IsTrustedAsync(User user, CancellationToken ct)
    {
        if (!_options.TrustEnabled || auth.Client != ClientKind.Browser ||
            auth.Http?.Request.Cookies[_options.TrustCookieName] is not { Length: > 0 and <= 128 } value)
        {
            return false;
        }
        var hash = Secrets.Sha256(value);
        var now = time.GetUtcNow().UtcDateTime;
        var id = await db.TrustedBrowsers
            .Where(t => t.TokenHash == hash && t.UserId == user.Id && t.AuthStamp == user.SecurityStamp && t.ExpiresAt > now)
            .Select(t => (long?)t.Id)
            .FirstOrDefaultAsync(ct);
        _matchedId ??= id;
        return id is not null;
    }

    /// <summary>
    /// The login of this request is adding <paramref name="session"/>: the trust granted or used in it is linked
    /// to that session in the same unit of work (EF inserts the session first and fills in its id), so ending the
    /// session from the sessions page (SessionsFlow.EndAsync) ends the browser's trust.
    /// </summary>
    public void Link(Session session)
    {
        if (_granted is not null)
        {
            db.TrustedBrowserSessions.Add(new TrustedBrowserSession { TrustedBrowser = _granted, Session = session });
        }
        else if (_matchedId is { } id)
        {
            db.TrustedBrowserSessions.Add(new TrustedBrowserSession { TrustedBrowserId = id, Session = session });
        }
    }

    /// <summary>Trusts this browser for <paramref name="user"/>: a row in the unit of work and the cookie on the response.</summary>
    public void Trust(User user)
    {
        var token = Secrets.NewUrlKey();
        var now = time.GetUtcNow().UtcDateTime;
        db.TrustedBrowsers.Add(_granted = new TrustedBrowser
        {
            UserId = user.Id,
            TokenHash = Secrets.Sha256(token),
            AuthStamp = user.SecurityStamp,
            CreatedAt = now,
            ExpiresAt = now + _options.TrustLifetime,
            Ip = Truncate(auth.Ip, 64),
            UserAgent = Truncate(auth.UserAgent, 512),
        });
        var context = auth.Http ?? throw new InvalidOperationException("Trusting a browser needs the request (AuthContext.Http).");
        var session = sessionOptions.Value;
        context.Response.Cookies.Append(_options.TrustCookieName, token, new CookieOptions
        {
            HttpOnly = true,
            SameSite = session.CookieSameSite,
            Path = "/",
            MaxAge = _options.TrustLifetime,
            Domain = session.CookieDomain,
            Secure = session.SecureFor(context.Request),
        });
    }

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];
}

/// <summary>
/// The <c>mfa_trust</c> login stage (allauth's <c>TrustStage</c>): in the browser, after a login that went through
/// mfa_authenticate, the user is asked whether to trust this browser (POST auth/2fa/trust).
/// </summary>
public sealed class MfaTrustStage(AuthContext auth, MfaAuthenticateStage authenticate, IOptions<MfaOptions> options) : ILoginStage
{
    public string Id => FlowIds.MfaTrust;

    public async ValueTask<bool> AppliesToAsync(StageContext context, CancellationToken ct)
    {
        var mfa = options.Value;
        if (!mfa.TrustEnabled || auth.Client != ClientKind.Browser || context.User.Id == 0)
        {
            return false; // trust lives in a cookie: the app client has none (allauth skips the stage there too)
        }
        // Only when this login has to pass mfa_authenticate.
        return await authenticate.AppliesToAsync(context, ct);
    }

    public ValueTask EnterAsync(StageContext context, CancellationToken ct) => ValueTask.CompletedTask;
}

/// <summary>POST auth/2fa/trust (browser only, with TrustEnabled).</summary>
public sealed class MfaTrustFlow(
    AuthContext auth, AuthResponses responses, LoginCompletion completion, UserDirectory users,
    TrustedBrowsers trusted, AuditLog audit, TimeProvider time)
{
    public async Task<ApiResult> TrustAsync(JsonInput input, CancellationToken ct)
    {
        var pending = auth.PendingAt(time.GetUtcNow().UtcDateTime);
        if (pending?.CurrentStage != FlowIds.MfaTrust || pending.UserId is not { } userId)
        {
            return responses.Unauthenticated(auth);
        }
        if (MfaTrustInput.Read(input) is not { Trust: var trust })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        var user = await users.FindByIdAsync(userId, ct);
        if (user is null || !user.IsActive)
        {
            return ApiResult.Conflict();
        }
        if (trust && (pending.Stamp ?? "") == user.SecurityStamp)
        {
            trusted.Trust(user);
            audit.Record(AuditEvents.MfaBrowserTrusted, user.Id);
        }
        return await completion.CompleteStageAsync(FlowIds.MfaTrust, user, pending, ct);
    }
}
