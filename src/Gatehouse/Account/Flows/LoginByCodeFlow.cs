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
using Microsoft.Extensions.Options;

namespace Gatehouse.Account.Flows;

/// <summary>
/// auth/code/request, confirm and resend: a one-time code mailed to the address. The code is a
/// <see cref="CodeChallenges">challenge</see> the pending flow refers to, with an atomic attempt limit;
/// the third wrong code ends the flow.
/// </summary>
public sealed class LoginByCodeFlow(
    GatehouseDbContext db, AuthContext auth, AuthResponses responses, SessionStore sessions, UserDirectory users,
    RateLimiter rateLimiter, LoginCompletion completion, Mailer mailer, MailKeys mailKeys, AuditLog audit, CodeChallenges challenges, TimeProvider time,
    IOptions<AccountOptions> options)
{
    private readonly AccountOptions _options = options.Value;

    public async Task<ApiResult> RequestAsync(JsonInput input, CancellationToken ct)
    {
        if (LoginCodeRequestInput.Read(input) is not { Email: var email })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        if (auth.IsAuthenticated)
        {
            return ApiResult.Conflict();
        }
        var normalized = EmailValidation.Normalize(email);
        // allauth consumes this limit inside the form, so it surfaces as a field error, not a 429.
        if (!await rateLimiter.TryHitAsync("request_login_code", new(Ip: auth.Ip, Key: normalized), ct))
        {
            return ApiResult.BadRequest(ApiErrors.TooManyLoginAttempts("email"));
        }
        var user = await users.FindForLoginAsync(normalized, ct);
        if (user is null && !_options.PreventEnumeration)
        {
            return ApiResult.BadRequest(ApiErrors.UnknownEmail("email"));
        }

        var pending = new PendingFlow
        {
            Stages = [FlowIds.LoginByCode],
            UserId = user?.Id,
            Email = normalized,
            ExpiresAt = time.GetUtcNow().UtcDateTime + _options.LoginByCodeTimeout,
        };
        var code = SendCode(pending, user is not null);
        pending.StateOf(FlowIds.LoginByCode).Challenge = challenges.Issue(CodePurposes.LoginByCode, code, pending.ExpiresAt);
        sessions.StartAnonymous(auth, new SessionState { Pending = pending });
        await db.SaveChangesAsync(ct);
        return responses.Unauthenticated(auth);
    }

    public async Task<ApiResult> ConfirmAsync(JsonInput input, CancellationToken ct)
    {
        var pending = auth.PendingAt(time.GetUtcNow().UtcDateTime);
        if (pending?.CurrentStage != FlowIds.LoginByCode)
        {
            return ApiResult.Conflict();
        }
        if (LoginCodeConfirmInput.Read(input) is not { Code: var code })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        var check = await challenges.CheckAsync(CodePurposes.LoginByCode, pending.StateOf(FlowIds.LoginByCode).Challenge, code, _options.LoginByCodeMaxAttempts, consume: true, ct);
        if (check == CodeCheck.AlreadyUsed)
        {
            return ApiResult.Conflict();
        }
        if (check != CodeCheck.Accepted || pending.UserId is null)
        {
            if (check == CodeCheck.Exhausted)
            {
                sessions.SaveState(auth, new SessionState());
                await db.SaveChangesAsync(ct);
            }
            return ApiResult.BadRequest(ApiErrors.IncorrectCode("code"));
        }
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var user = await users.FindByIdAsync(pending.UserId.Value, ct);
        if (user is null || !user.IsActive)
        {
            sessions.SaveState(auth, new SessionState());
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return ApiResult.Conflict();
        }
        // Reading the code proves the mailbox: the address counts as verified from now on.
        var address = user.EmailAddresses.FirstOrDefault(e => e.EmailNormalized == pending.Email);
        if (address is { Verified: false })
        {
            // The address this login came through was never proven (a code leads only to a verified address
            // or to the primary address of an account, so this is the unproven primary one). Whoever signed
            // the account up with it chose its password, its other addresses and their links, and could be
            // someone else waiting for the owner to move in. The owner gets the account without any of that:
            // no password (set one with account/password/change), no other session, no other address, no
            // verification or reset link or code still out there.
            user.PasswordHash = DjangoPasswordHasher.UnusablePassword();
            SessionStore.RevokeAll(user);
            await sessions.EndOthersAsync(user.Id, keepId: null, ct);
            await mailKeys.ConsumeAllAsync(KeyPurposes.EmailVerification, user.Id, normalizedEmail: null, ct);
            await mailKeys.ConsumeAllAsync(KeyPurposes.PasswordReset, user.Id, normalizedEmail: null, ct);
            foreach (var other in user.EmailAddresses.Where(e => e != address).ToList())
            {
                user.EmailAddresses.Remove(other);
                db.EmailAddresses.Remove(other);
            }
            address.Verified = true;
            audit.Record(AuditEvents.AccountClaimed, user.Id, new { email = address.Email });
        }
        var method = LoginCompletion.Method("code", time.GetUtcNow(), email: address?.Email ?? pending.Email);
        var result = await completion.ProceedAsync(user, [.. pending.Methods, method], signup: false, ct);
        await transaction.CommitAsync(ct);
        return result;
    }

    public async Task<ApiResult> ResendAsync(CancellationToken ct)
    {
        var pending = auth.PendingAt(time.GetUtcNow().UtcDateTime);
        if (pending?.CurrentStage != FlowIds.LoginByCode)
        {
            return ApiResult.Conflict();
        }
        if (!await rateLimiter.TryHitAsync("request_login_code", new(Ip: auth.Ip, Key: pending.Email), ct))
        {
            return ApiResult.TooManyRequests();
        }
        var code = SendCode(pending, pending.UserId is not null);
        await challenges.ReplaceCodeAsync(pending.StateOf(FlowIds.LoginByCode).Challenge ?? "", code, ct);
        await db.SaveChangesAsync(ct);
        return ApiResult.Ok();
    }

    /// <summary>Mails a new code (or, for an unknown address, the "no account" notice) and returns the code.</summary>
    private string? SendCode(PendingFlow pending, bool accountExists)
    {
        // A resend makes a new code but keeps the flow's failed attempts (allauth does too): resending
        // must not buy an attacker a fresh set of guesses.
        if (!accountExists)
        {
            // No code exists for an unknown address; the owner of the mailbox learns someone tried.
            mailer.EnqueueUnknownAccount(pending.Email!);
            return null;
        }
        var code = Secrets.NewCode();
        mailer.Enqueue(pending.Email!, "login_code", new() { ["code"] = code });
        return code;
    }
}
