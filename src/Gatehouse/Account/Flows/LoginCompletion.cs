using Gatehouse.Audit;
using Gatehouse.Configuration;
using Gatehouse.Email.Flows;
using Gatehouse.Http;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.Extensions.Options;

namespace Gatehouse.Account.Flows;

/// <summary>
/// What happens once a user has proven who they are (password, code, ...): either the remaining stages
/// become the session's pending flow, or the user is logged in with a fresh session. Every way in
/// (login, signup, login by code, email confirmation) ends here, so stages added later (MFA) apply to all.
/// </summary>
public sealed class LoginCompletion(
    GatehouseDbContext db, SessionStore sessions, AuthContext auth, AuthResponses responses, AuditLog audit,
    VerificationMails verificationMails, MailKeys mailKeys, TimeProvider time, IOptions<AccountOptions> options)
{
    private readonly AccountOptions _options = options.Value;

    public static AuthMethod Method(string method, DateTimeOffset at, string? email = null, string? username = null) =>
        new() { Method = method, At = AuthResponses.Epoch(at), Email = email, Username = username };

    public ApiResult Unauthenticated() => responses.Unauthenticated(auth);

    /// <summary>The stages this user must still pass before being logged in, in order.</summary>
    public List<string> StagesFor(User user)
    {
        var stages = new List<string>();
        if (_options.EmailVerification == EmailVerificationMode.Mandatory && !user.EmailAddresses.Any(e => e.Verified))
        {
            stages.Add(Stages.VerifyEmail);
        }
        return stages;
    }

    /// <summary>
    /// Continues after <paramref name="methods"/> proved the user: pending stages (mailing what they need)
    /// or a logged-in session. Saves the unit of work.
    /// </summary>
    public async Task<ApiResult> ProceedAsync(User user, List<AuthMethod> methods, bool signup, CancellationToken ct)
    {
        var stages = StagesFor(user);
        if (stages.Count == 0)
        {
            return await LogInAsync(user, methods, ct);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var pending = new PendingFlow
        {
            Stages = stages,
            UserId = user.Id,
            Email = user.EmailAddresses.FirstOrDefault(e => e.IsPrimary)?.EmailNormalized,
            ExpiresAt = now + _options.PendingFlowTimeout,
            Methods = methods,
        };
        if (stages[0] == Stages.VerifyEmail && user.EmailAddresses.FirstOrDefault(e => e.IsPrimary) is { } address)
        {
            await verificationMails.SendAsync(user, address, signup, pending, signup ? VerificationCooldown.Start : VerificationCooldown.Respect, ct);
        }
        if (user.Id == 0)
        {
            await db.SaveChangesAsync(ct); // a new user's id is known only now (callers hold a transaction)
            pending.UserId = user.Id;
        }
        // The pending flow gets its own new session: a token that existed before this proof is dropped.
        sessions.Start(auth, null, new SessionState { Pending = pending });
        await db.SaveChangesAsync(ct);
        return responses.Unauthenticated(auth);
    }

    /// <summary>Logs the user in: a new session (new token, new CSRF token), last_login, audit. Saves.</summary>
    public async Task<ApiResult> LogInAsync(User user, List<AuthMethod> methods, CancellationToken ct)
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
        sessions.Start(auth, UserDirectory.ToSessionUser(user), new SessionState { Methods = methods });
        audit.Record(AuditEvents.LoggedIn, user.Id, new { method = methods.LastOrDefault()?.Method ?? "signup" });
        await db.SaveChangesAsync(ct);
        return responses.Authenticated(auth);
    }
}
