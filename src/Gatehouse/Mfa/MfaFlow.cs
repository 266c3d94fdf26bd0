using Gatehouse.Account;
using Gatehouse.Account.Flows;
using Gatehouse.Audit;
using Gatehouse.Configuration;
using Gatehouse.Email;
using Gatehouse.Http;
using Gatehouse.RateLimiting;
using Gatehouse.Security;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Mfa;

/// <summary>
/// POST auth/2fa/authenticate (the mfa_authenticate login stage), POST auth/2fa/reauthenticate, and GET
/// account/authenticators (allauth's headless/mfa/views.py AuthenticateView, ReauthenticateView, AuthenticatorsView).
/// </summary>
public sealed class MfaFlow(
    GatehouseDbContext db, AuthContext auth, AuthResponses responses, SessionStore sessions, LoginCompletion completion,
    UserDirectory users, MfaAuthenticators authenticators, CodeChallenges challenges, RateLimiter rateLimiter,
    SecurityNotices notices, AuditLog audit, TimeProvider time, IOptions<MfaOptions> options)
{
    private readonly MfaOptions _options = options.Value;

    /// <summary>
    /// The second factor of a pending login. Every code, right or wrong, first takes an attempt from the stage's
    /// challenge with one conditional UPDATE, so parallel guesses cannot exceed <see cref="MfaOptions.MaxAttempts"/>;
    /// when none is left the pending login ends and the user starts again from the first factor.
    /// </summary>
    public async Task<ApiResult> AuthenticateAsync(JsonInput input, CancellationToken ct)
    {
        if (PendingAuthenticate() is not { } pending)
        {
            // allauth's AuthenticationStageAPIView: no such stage pending is a plain 401 with the flows.
            return responses.Unauthenticated(auth);
        }
        if (MfaCodeInput.Read(input) is not { Code: var code })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        return await CompleteAuthenticateAsync(pending, (userId, token) => authenticators.VerifyCodeAsync(userId, code, token), ApiErrors.IncorrectCode("code"), ct);
    }

    /// <summary>The session's pending login when its current stage is mfa_authenticate (and its user is known), else null.</summary>
    public PendingFlow? PendingAuthenticate()
    {
        var pending = auth.PendingAt(time.GetUtcNow().UtcDateTime);
        return pending?.CurrentStage == FlowIds.MfaAuthenticate && pending.UserId is not null ? pending : null;
    }

    /// <summary>
    /// Completes mfa_authenticate with whatever factor <paramref name="verify"/> checks (a typed code here; the
    /// WebAuthn endpoint passes its assertion check): takes an attempt first, answers <paramref name="refusal"/> when
    /// the factor fails, ends the login when no attempt is left, records the method and moves to the next stage.
    /// </summary>
    /// <remarks>
    /// The factor's use (TOTP step, recovery code, WebAuthn challenge and sign count), the stage challenge, the next
    /// stage or the login's session and the trust linked to it commit in one transaction: a lost race or a busy
    /// database answers 409/503 with the code still unspent, so the retry the answer asks for can succeed.
    /// </remarks>
    public async Task<ApiResult> CompleteAuthenticateAsync(
        PendingFlow pending, Func<long, CancellationToken, Task<Authenticator?>> verify, ApiError refusal, CancellationToken ct)
    {
        var userId = pending.UserId!.Value;
        var challenge = pending.StateOf(FlowIds.MfaAuthenticate).Challenge;
        // The attempt commits on its own, before the transaction below: a guess stays counted even when the rest of
        // this request rolls back, or rollbacks would be free guesses.
        if (!await challenges.TakeAttemptAsync(CodePurposes.MfaAuthenticate, challenge, _options.MaxAttempts, ct))
        {
            sessions.SaveState(auth, new SessionState());
            audit.Record(AuditEvents.MfaFailed, userId, new { reason = "too_many_attempts" });
            await db.SaveChangesAsync(ct);
            return ApiResult.BadRequest(ApiErrors.TooManyLoginAttempts(refusal.Param));
        }
        // The stage's attempts end one pending login; this per-user count (allauth's login_failed under
        // mfa-auth-user-<id>) bounds guesses across logins, which an attacker who knows the password can restart
        // at will. Taken before the check, given back on success, as for passwords.
        var subject = new RateLimitSubject(Ip: auth.Ip, Key: "mfa-auth-user-" + userId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!await rateLimiter.TryHitAsync("login_failed", subject, ct))
        {
            return ApiResult.BadRequest(ApiErrors.TooManyLoginAttempts(refusal.Param));
        }
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var used = await verify(userId, ct);
        if (used is null)
        {
            audit.Record(AuditEvents.MfaFailed, userId);
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return ApiResult.BadRequest(refusal);
        }
        // Inside the transaction: if the login rolls back, this hit stays counted (fail closed).
        await rateLimiter.UndoHitAsync("login_failed", subject, ct);
        var user = await users.FindByIdAsync(userId, ct);
        // A second right answer racing this one (say TOTP and a recovery code) finds the challenge used up; leaving
        // without a commit rolls back this request's use of its factor.
        if (user is null || !user.IsActive || !await challenges.ConsumeAsync(CodePurposes.MfaAuthenticate, challenge!, ct))
        {
            return ApiResult.Conflict();
        }
        pending.Methods.Add(Method(used, reauthenticated: false));
        Record(user.Id, PrimaryEmail(user), used, reauthenticated: false);
        var result = await completion.CompleteStageAsync(FlowIds.MfaAuthenticate, user, pending, ct);
        await transaction.CommitAsync(ct);
        return result;
    }

    /// <summary>
    /// A logged-in user proves a factor again for a sensitive action. Wrong codes count against the
    /// login_failed limit under allauth's key (<c>mfa-auth-user-&lt;id&gt;</c>), taken before the code is checked.
    /// </summary>
    public async Task<ApiResult> ReauthenticateAsync(JsonInput input, CancellationToken ct)
    {
        if (MfaCodeInput.Read(input) is not { Code: var code })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        return await CompleteReauthenticateAsync((userId, token) => authenticators.VerifyCodeAsync(userId, code, token), ApiErrors.IncorrectCode("code"), ct);
    }

    /// <summary>mfa_reauthenticate with whatever factor <paramref name="verify"/> checks (WebAuthn's endpoint uses it too).</summary>
    public async Task<ApiResult> CompleteReauthenticateAsync(
        Func<long, CancellationToken, Task<Authenticator?>> verify, ApiError refusal, CancellationToken ct)
    {
        var user = auth.User!;
        var subject = new RateLimitSubject(Ip: auth.Ip, Key: "mfa-auth-user-" + user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!await rateLimiter.TryHitAsync("login_failed", subject, ct))
        {
            return ApiResult.BadRequest(ApiErrors.TooManyLoginAttempts(refusal.Param));
        }
        var used = await verify(user.Id, ct);
        if (used is null)
        {
            audit.Record(AuditEvents.MfaFailed, user.Id, new { reauthenticated = true });
            await db.SaveChangesAsync(ct);
            return ApiResult.BadRequest(refusal);
        }
        await rateLimiter.UndoHitAsync("login_failed", subject, ct);
        var state = auth.Session!.State;
        state.Methods.Add(Method(used, reauthenticated: true));
        sessions.SaveState(auth, state);
        Record(user.Id, user.Email, used, reauthenticated: true);
        await db.SaveChangesAsync(ct);
        return responses.Authenticated(auth);
    }

    /// <summary>GET account/authenticators: every authenticator of a supported type, oldest first.</summary>
    public async Task<ApiResult> ListAsync(CancellationToken ct)
    {
        var all = await db.Authenticators.AsNoTracking().Where(a => a.UserId == auth.User!.Id).OrderBy(a => a.Id).ToListAsync(ct);
        using var buffer = new MemoryStream();
        await using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var authenticator in all.Where(a => _options.Supports(a.Type)))
            {
                await authenticators.WriteAsync(writer, authenticator, ct);
            }
            writer.WriteEndArray();
        }
        var json = buffer.ToArray();
        return ApiResult.Ok(w => w.WriteRawValue(json));
    }

    /// <summary>As allauth's <c>post_authentication</c> records it: <c>{"method": "mfa", "at", "id", "type", "reauthenticated"?}</c>.</summary>
    private AuthMethod Method(Authenticator used, bool reauthenticated) => new()
    {
        Method = "mfa",
        At = AuthResponses.Epoch(time.GetUtcNow()),
        Id = used.Id,
        Type = used.Type,
        Reauthenticated = reauthenticated ? true : null,
    };

    private void Record(long userId, string? email, Authenticator used, bool reauthenticated)
    {
        audit.Record(AuditEvents.MfaAuthenticated, userId, new { type = used.Type, reauthenticated });
        if (used.Type == MfaTypes.RecoveryCodes)
        {
            notices.Send(email, SecurityNoticeTemplates.RecoveryCodeUsed);
        }
    }

    private static string? PrimaryEmail(User user) => user.EmailAddresses.FirstOrDefault(e => e.IsPrimary)?.Email;
}
