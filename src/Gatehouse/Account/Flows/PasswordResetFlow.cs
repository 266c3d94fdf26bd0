using Gatehouse.Audit;
using Gatehouse.Configuration;
using Gatehouse.Email;
using Gatehouse.Http;
using Gatehouse.RateLimiting;
using Gatehouse.Security;
using Gatehouse.Security.Passwords;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Account.Flows;

/// <summary>
/// auth/password/request and auth/password/reset, by link key (stored as SHA-256, one use, expiring) or
/// by code (a <see cref="CodeChallenges">challenge</see> the pending flow refers to). The request answers
/// alike whether or not the account exists. A reset ends every session of the account, including logins
/// with the old password that are still in flight (the security stamp), and logs in only through
/// <see cref="LoginCompletion"/>, so no stage (MFA) is skipped.
/// </summary>
public sealed class PasswordResetFlow(
    GatehouseDbContext db, AuthContext auth, AuthResponses responses, SessionStore sessions, UserDirectory users,
    PasswordHashingExecutor hasher, PasswordValidator passwordValidator, RateLimiter rateLimiter, LoginCompletion completion,
    Mailer mailer, MailKeys mailKeys, CodeChallenges challenges, AuditLog audit, SecurityNotices notices, TimeProvider time,
    IOptions<AccountOptions> options)
{
    public const string KeyHeader = "X-Password-Reset-Key";
    private readonly AccountOptions _options = options.Value;

    public async Task<ApiResult> RequestAsync(JsonInput input, CancellationToken ct)
    {
        if (PasswordResetRequestInput.Read(input) is not { Email: var email })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        var normalized = EmailValidation.Normalize(email);
        if (!await rateLimiter.TryHitAsync("reset_password", new(Ip: auth.Ip, Key: normalized), ct))
        {
            return ApiResult.TooManyRequests();
        }
        var user = await users.FindForLoginAsync(normalized, ct);
        if (user is null && !_options.PreventEnumeration)
        {
            return ApiResult.BadRequest(ApiErrors.UnknownEmail("email"));
        }
        if (_options.PasswordResetByCodeEnabled && auth.IsAuthenticated)
        {
            return ApiResult.Conflict();
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (user is null)
        {
            mailer.EnqueueUnknownAccount(normalized);
        }
        if (_options.PasswordResetByCodeEnabled)
        {
            var pending = new PendingFlow
            {
                Stages = [FlowIds.PasswordResetByCode],
                UserId = user?.Id,
                Email = normalized,
                ExpiresAt = now + _options.PasswordResetByCodeTimeout,
            };
            string? code = null;
            if (user is not null)
            {
                code = Secrets.NewCode();
                mailer.Enqueue(normalized, "password_reset_code", new() { ["code"] = code });
            }
            pending.StateOf(FlowIds.PasswordResetByCode).Challenge = challenges.Issue(CodePurposes.PasswordReset, code, pending.ExpiresAt);
            sessions.StartAnonymous(auth, new SessionState { Pending = pending });
            await db.SaveChangesAsync(ct);
            return responses.Unauthenticated(auth);
        }

        if (user is not null)
        {
            var key = mailKeys.Issue(KeyPurposes.PasswordReset, user, normalized, _options.PasswordResetKeyExpiry);
            mailer.Enqueue(normalized, "password_reset_key", new()
            {
                ["password_reset_url"] = mailer.Link(mailer.FrontendUrls.AccountResetPasswordFromKey, key),
            });
        }
        await db.SaveChangesAsync(ct);
        return ApiResult.Ok();
    }

    /// <summary>GET auth/password/reset: tells whether a key (or code) is good, and for whom.</summary>
    public async Task<ApiResult> InfoAsync(string? key, CancellationToken ct)
    {
        if (!await rateLimiter.TryHitAsync("reset_password_from_key", new(Ip: auth.Ip), ct))
        {
            return ApiResult.TooManyRequests();
        }
        var (user, error) = await ResolveAsync(key, ct);
        // Saved on failure too: a wrong code counts as an attempt (or ends the flow) on GET as on POST.
        await db.SaveChangesAsync(ct);
        if (error is not null)
        {
            return error;
        }
        return ApiResult.Ok(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("user");
            AuthResponses.WriteUser(w, UserDirectory.ToSessionUser(user!));
            w.WriteEndObject();
        });
    }

    /// <summary>POST auth/password/reset: sets the new password, ends every session of the account.</summary>
    public async Task<ApiResult> ResetAsync(JsonInput input, CancellationToken ct)
    {
        if (!await rateLimiter.TryHitAsync("reset_password_from_key", new(Ip: auth.Ip), ct))
        {
            return ApiResult.TooManyRequests();
        }
        if (PasswordResetInput.Read(input) is not { } reset)
        {
            return ApiResult.BadRequest(input.Errors);
        }
        var (key, password) = reset;
        var (user, error) = await ResolveAsync(key, ct);
        if (error is not null)
        {
            await db.SaveChangesAsync(ct);
            return error;
        }
        var problems = passwordValidator.Validate(password, [("username", user!.Username), .. user.EmailAddresses.Select(e => ("email address", (string?)e.Email))]);
        if (problems.Count > 0)
        {
            await db.SaveChangesAsync(ct); // the flow may have moved to its confirmed token
            return ApiResult.BadRequest(problems.Select(p => new ApiError(p.Message, p.Code, "password")).ToList());
        }
        var challenge = auth.PendingAt(time.GetUtcNow().UtcDateTime)?.StateOf(FlowIds.PasswordResetByCode).Challenge;
        // Hashed before the transaction opens: a write transaction held across a (queued) hash would stall
        // every other writer (on SQLite the whole database) for as long as the hash takes.
        var hash = await hasher.HashAsync(password, auth.Ip, ct);

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        // Of two requests racing with one code, only the first uses its challenge up.
        if (_options.PasswordResetByCodeEnabled && (challenge is null || !await challenges.ConsumeAsync(CodePurposes.PasswordReset, challenge, ct)))
        {
            return ApiResult.Conflict();
        }
        // Consumed before the password changes, in one conditional update: of two requests racing with
        // one key, only the first finds it unused.
        var consumed = await mailKeys.ConsumeAllAsync(KeyPurposes.PasswordReset, user.Id, normalizedEmail: null, ct);
        if (consumed == 0 && !_options.PasswordResetByCodeEnabled)
        {
            return ApiResult.BadRequest(ApiErrors.InvalidPasswordReset("key"));
        }
        user.PasswordHash = hash;
        var now = time.GetUtcNow().UtcDateTime;
        SessionStore.RevokeAll(user);
        // A logged-in user resetting their own password keeps this session until the login below replaces it.
        await sessions.EndOthersAsync(user.Id, keepId: auth.User?.Id == user.Id ? auth.Session!.Id : null, ct);
        foreach (var address in user.EmailAddresses)
        {
            await rateLimiter.ClearKeyAsync("login_failed", address.EmailNormalized, ct);
        }
        audit.Record(AuditEvents.PasswordReset, user.Id);
        // Queued before the login below saves: it commits with the new password, in this transaction, or not at all.
        notices.SendToOwner(user, SecurityNoticeTemplates.PasswordReset);

        ApiResult result;
        if (_options.LoginOnPasswordReset)
        {
            var method = LoginCompletion.Method("password", time.GetUtcNow(), email: user.EmailAddresses.FirstOrDefault(e => e.IsPrimary)?.Email);
            result = await completion.ProceedAsync(user, [method], signup: false, ct);
        }
        else
        {
            if (auth.Session is not null && auth.PendingAt(now) is not null)
            {
                sessions.SaveState(auth, new SessionState());
            }
            await db.SaveChangesAsync(ct);
            result = responses.Unauthenticated(auth);
        }
        await transaction.CommitAsync(ct);
        return result;
    }

    /// <summary>
    /// Finds the account a key or code resets. A wrong code counts an attempt (GET as POST, as allauth
    /// checks it on every call); a missing one does not. The POST that sets the password uses the challenge
    /// up afterwards, once the new password passed the validators.
    /// </summary>
    private async Task<(User? User, ApiResult? Error)> ResolveAsync(string? key, CancellationToken ct)
    {
        if (_options.PasswordResetByCodeEnabled)
        {
            var pending = auth.PendingAt(time.GetUtcNow().UtcDateTime);
            if (pending?.CurrentStage != FlowIds.PasswordResetByCode)
            {
                return (null, ApiResult.Conflict());
            }
            if (string.IsNullOrWhiteSpace(key))
            {
                return (null, ApiResult.BadRequest(ApiError.Required("key")));
            }
            var state = pending.StateOf(FlowIds.PasswordResetByCode);
            var check = await challenges.CheckAsync(CodePurposes.PasswordReset, state.Challenge, key, _options.PasswordResetByCodeMaxAttempts, consume: false, ct);
            if (check == CodeCheck.AlreadyUsed)
            {
                return (null, ApiResult.Conflict());
            }
            if (check != CodeCheck.Accepted || pending.UserId is null)
            {
                if (check == CodeCheck.Exhausted)
                {
                    sessions.SaveState(auth, new SessionState());
                }
                return (null, ApiResult.BadRequest(ApiErrors.IncorrectCode("key")));
            }
            if (!state.Confirmed)
            {
                // The confirmed flow is a capability to set the password: it moves to a new token, so a
                // session planted in the victim's browser before the code was typed gains nothing.
                state.Confirmed = true;
                sessions.StartAnonymous(auth, new SessionState { Pending = pending });
            }
            var owner = await users.FindByIdAsync(pending.UserId.Value, ct);
            // Reading the code proves the mailbox: allauth's confirm_code() verifies the address indirectly.
            if (owner?.EmailAddresses.FirstOrDefault(e => e.EmailNormalized == pending.Email) is { Verified: false } address)
            {
                address.Verified = true;
            }
            return owner is { IsActive: true } ? (owner, null) : (null, ApiResult.Conflict());
        }

        var invalid = ApiResult.BadRequest(ApiErrors.InvalidPasswordReset("key"));
        var record = await mailKeys.FindLiveAsync(KeyPurposes.PasswordReset, key, ct);
        var user = record is null ? null : await users.FindByIdAsync(record.UserId, ct);
        // The key was mailed to one address: it is void once that address left the account.
        var stillOwned = user?.EmailAddresses.Any(e => e.EmailNormalized == record!.Email) == true;
        return user is { IsActive: true } && stillOwned ? (user, null) : (null, invalid);
    }
}
