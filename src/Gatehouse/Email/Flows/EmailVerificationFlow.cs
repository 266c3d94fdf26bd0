using Gatehouse.Account;
using Gatehouse.Account.Flows;
using Gatehouse.Audit;
using Gatehouse.Configuration;
using Gatehouse.Http;
using Gatehouse.RateLimiting;
using Gatehouse.Security;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Email.Flows;

/// <summary>
/// GET/POST auth/email/verify and auth/email/verify/resend. A link key verifies its address wherever it
/// is opened; it logs in only the session whose pending flow is waiting for that account (and only with
/// LoginOnEmailConfirmation on). With verification by code, the code lives in the pending flow.
/// </summary>
public sealed class EmailVerificationFlow(
    GatehouseDbContext db, AuthContext auth, AuthResponses responses, SessionStore sessions, UserDirectory users,
    LoginCompletion completion, VerificationMails verificationMails, MailKeys mailKeys, RateLimiter rateLimiter, CodeHasher codes,
    AuditLog audit, TimeProvider time, IOptions<AccountOptions> options)
{
    public const string KeyHeader = "X-Email-Verification-Key";
    private readonly AccountOptions _options = options.Value;

    private sealed record Target(User User, EmailAddress Address, VerificationKey? Key);

    public async Task<ApiResult> InfoAsync(string? key, CancellationToken ct)
    {
        var (target, error) = await ResolveAsync(key, ct);
        if (error is not null)
        {
            await db.SaveChangesAsync(ct);
            return error;
        }
        var pending = auth.PendingAt(time.GetUtcNow().UtcDateTime);
        var isAuthenticating = pending?.CurrentStage == Stages.VerifyEmail && pending.UserId == target!.User.Id;
        return new ApiResult(StatusCodes.Status200OK, w =>
        {
            w.WriteStartObject();
            w.WriteString("email", target!.Address.Email);
            w.WritePropertyName("user");
            AuthResponses.WriteUser(w, UserDirectory.ToSessionUser(target.User));
            w.WriteEndObject();
        })
        {
            ExtraMeta = w => w.WriteBoolean("is_authenticating", isAuthenticating),
        };
    }

    public async Task<ApiResult> VerifyAsync(JsonInput input, CancellationToken ct)
    {
        var key = input.Text("key", maxLength: 256);
        if (!input.IsValid)
        {
            return ApiResult.BadRequest(input.Errors);
        }
        var (target, error) = await ResolveAsync(key, ct);
        if (error is not null)
        {
            await db.SaveChangesAsync(ct);
            return error;
        }
        var (user, address, record) = target!;
        var now = time.GetUtcNow().UtcDateTime;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        address.Verified = true;
        if (!user.EmailAddresses.Any(e => e.IsPrimary))
        {
            address.IsPrimary = true;
        }
        if (record is not null)
        {
            await mailKeys.ConsumeAllAsync(KeyPurposes.EmailVerification, user.Id, address.EmailNormalized, ct);
        }
        audit.Record(AuditEvents.EmailConfirmed, user.Id, new { email = address.Email });

        var pending = auth.PendingAt(now);
        if (pending?.CurrentStage == Stages.VerifyEmail && pending.UserId == user.Id)
        {
            pending.Stages.RemoveAt(0);
            // Codes prove the mailbox in this very session, so they always continue the login (allauth does too).
            var continueLogin = _options.LoginOnEmailConfirmation || _options.EmailVerificationByCodeEnabled;
            if (pending.Stages.Count == 0 && continueLogin)
            {
                var loggedIn = await completion.LogInAsync(user, pending.Methods, ct);
                await transaction.CommitAsync(ct);
                return loggedIn;
            }
            sessions.SaveState(auth, new SessionState { Pending = continueLogin ? pending : null });
        }
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return responses.Current(auth);
    }

    public async Task<ApiResult> ResendAsync(CancellationToken ct)
    {
        var pending = auth.PendingAt(time.GetUtcNow().UtcDateTime);
        if (!_options.EmailVerificationByCodeEnabled || pending?.CurrentStage != Stages.VerifyEmail)
        {
            return ApiResult.Conflict();
        }
        if (!await rateLimiter.TryHitAsync(VerificationMails.RateLimitAction, new(Key: pending.Email), ct))
        {
            return ApiResult.TooManyRequests();
        }
        if (pending.UserId is null)
        {
            return ApiResult.Ok(); // a signup with a taken address: answered like any other, nothing is sent
        }
        var user = await users.FindByIdAsync(pending.UserId.Value, ct);
        var address = user?.EmailAddresses.FirstOrDefault(e => e.EmailNormalized == pending.Email);
        if (user is null || address is null)
        {
            return ApiResult.Conflict();
        }
        await verificationMails.SendAsync(user, address, signup: false, pending, VerificationCooldown.Counted, ct);
        sessions.SaveState(auth, new SessionState { Pending = pending });
        await db.SaveChangesAsync(ct);
        return ApiResult.Ok();
    }

    private async Task<(Target? Target, ApiResult? Error)> ResolveAsync(string? key, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (_options.EmailVerificationByCodeEnabled)
        {
            var pending = auth.PendingAt(now);
            if (pending?.CurrentStage != Stages.VerifyEmail)
            {
                return (null, ApiResult.Conflict());
            }
            if (key is null || pending.UserId is null || !codes.Matches(key, pending.CodeHash))
            {
                pending.Attempts++;
                sessions.SaveState(auth, new SessionState { Pending = pending.Attempts >= _options.EmailVerificationByCodeMaxAttempts ? null : pending });
                return (null, ApiResult.BadRequest(new ApiError("Incorrect code.", ErrorCodes.IncorrectCode, "key")));
            }
            var owner = await users.FindByIdAsync(pending.UserId.Value, ct);
            var ownAddress = owner?.EmailAddresses.FirstOrDefault(e => e.EmailNormalized == pending.Email);
            return owner is null || ownAddress is null ? (null, ApiResult.Conflict()) : (new Target(owner, ownAddress, null), null);
        }

        var invalid = ApiResult.BadRequest(new ApiError("Invalid or expired key.", ErrorCodes.InvalidOrExpiredKey, "key"));
        var record = await mailKeys.FindLiveAsync(KeyPurposes.EmailVerification, key, ct);
        if (record is null)
        {
            return (null, invalid);
        }
        var user = await users.FindByIdAsync(record.UserId, ct);
        var address = user?.EmailAddresses.FirstOrDefault(e => e.EmailNormalized == record.Email);
        return user is null || address is null ? (null, invalid) : (new Target(user, address, record), null);
    }
}
