using Gatehouse.Account.Stages;
using Gatehouse.Audit;
using Gatehouse.Configuration;
using Gatehouse.Http;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.Extensions.Options;

namespace Gatehouse.Account.Flows;

/// <summary>
/// What happens once a user has proven who they are (password, code, reset, email confirmation): the
/// registered <see cref="LoginStages"/> that apply become the session's pending flow, or the user is
/// logged in with a fresh session. Every way in ends here and only here, so a stage added later (MFA)
/// applies to all of them; logging in is private to this class.
/// </summary>
public sealed class LoginCompletion(
    GatehouseDbContext db, SessionStore sessions, AuthContext auth, AuthResponses responses, AuditLog audit,
    LoginStages stages, MailKeys mailKeys, TimeProvider time, IOptions<AccountOptions> options)
{
    private readonly AccountOptions _options = options.Value;

    public static AuthMethod Method(string method, DateTimeOffset at, string? email = null, string? username = null) =>
        new() { Method = method, At = AuthResponses.Epoch(at), Email = email, Username = username };

    public ApiResult Unauthenticated() => responses.Unauthenticated(auth);

    /// <summary>
    /// Continues after <paramref name="methods"/> proved the user: the stages that apply (entering the first,
    /// which may mail something) in a new anonymous session, or a logged-in session. Saves the unit of work.
    /// </summary>
    public Task<ApiResult> ProceedAsync(User user, List<AuthMethod> methods, bool signup, CancellationToken ct) =>
        ProceedAsync(user, methods, signup, passkeySignup: false, ct);

    /// <summary>As above; <paramref name="passkeySignup"/> marks a signup by passkey, whose stages end in mfa_signup_webauthn.</summary>
    public async Task<ApiResult> ProceedAsync(User user, List<AuthMethod> methods, bool signup, bool passkeySignup, CancellationToken ct)
    {
        var pending = new PendingFlow
        {
            UserId = user.Id,
            Email = user.EmailAddresses.FirstOrDefault(e => e.IsPrimary)?.EmailNormalized,
            ExpiresAt = time.GetUtcNow().UtcDateTime + _options.PendingFlowTimeout,
            Methods = methods,
            Stamp = user.SecurityStamp,
        };
        var context = new StageContext(user, pending, signup, passkeySignup);
        pending.Stages = await stages.ApplicableAsync(context, ct);
        if (pending.Stages.Count == 0)
        {
            return await LogInAsync(user, methods, ct);
        }
        await stages.Find(pending.CurrentStage)!.EnterAsync(context, ct);
        if (user.Id == 0)
        {
            await db.SaveChangesAsync(ct); // a new user's id is known only now (callers hold a transaction)
            pending.UserId = user.Id;
        }
        // The pending flow gets its own new session: a token that existed before this proof is dropped.
        sessions.StartAnonymous(auth, new SessionState { Pending = pending });
        await db.SaveChangesAsync(ct);
        return responses.Unauthenticated(auth);
    }

    /// <summary>
    /// The current stage <paramref name="stageId"/> of <paramref name="pending"/> passed: enters the next
    /// stage (same session) or logs the user in. Saves the unit of work.
    /// </summary>
    public async Task<ApiResult> CompleteStageAsync(string stageId, User user, PendingFlow pending, CancellationToken ct)
    {
        if (pending.CurrentStage != stageId || pending.UserId != user.Id)
        {
            throw new InvalidOperationException($"Stage {stageId} is not the current stage of this user's pending flow.");
        }
        if ((pending.Stamp ?? "") != user.SecurityStamp)
        {
            // The password was reset or changed after this flow's proof: the proof is worth nothing now.
            sessions.SaveState(auth, new SessionState());
            await db.SaveChangesAsync(ct);
            return ApiResult.Conflict();
        }
        pending.Stages.RemoveAt(0);
        pending.StageStates.Remove(stageId);
        if (pending.Stages.Count == 0)
        {
            return await LogInAsync(user, pending.Methods, ct);
        }
        await stages.Find(pending.CurrentStage)!.EnterAsync(new StageContext(user, pending, Signup: false), ct);
        sessions.SaveState(auth, new SessionState { Pending = pending });
        await db.SaveChangesAsync(ct);
        return responses.Unauthenticated(auth);
    }

    /// <summary>Logs the user in: a new session (new token, new CSRF token), last_login, audit. Saves.</summary>
    private async Task<ApiResult> LogInAsync(User user, List<AuthMethod> methods, CancellationToken ct)
    {
        user.LastLogin = time.GetUtcNow().UtcDateTime;
        if (user.Id == 0)
        {
            await db.SaveChangesAsync(ct); // a new user's id is known only now (callers hold a transaction)
        }
        else
        {
            // Django's reset tokens die at the next login (they cover last_login); so do ours.
            await mailKeys.ConsumeAllAsync(KeyPurposes.PasswordReset, user.Id, normalizedEmail: null, ct);
        }
        // MFA set up during this login (a staff account's mfa_setup) keeps its not-yet-shown recovery codes.
        sessions.StartLoggedIn(auth, user, new SessionState { Methods = methods, Mfa = auth.User is null ? auth.Session?.State.Mfa : null });
        audit.Record(AuditEvents.LoggedIn, user.Id, new { method = methods.LastOrDefault()?.Method ?? "signup" });
        // Before the save, so what the stages link to the new session (the browser's trust) is inserted with it
        // by the same SaveChanges: the session and its links exist together or not at all.
        foreach (var stage in stages.All)
        {
            stage.LoggingIn(user, auth.Issued!.Row);
        }
        await db.SaveChangesAsync(ct);
        return responses.Authenticated(auth);
    }
}
