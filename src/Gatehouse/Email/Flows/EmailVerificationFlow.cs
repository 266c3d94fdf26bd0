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
using Microsoft.Extensions.Options;

namespace Gatehouse.Email.Flows;

/// <summary>
/// GET/POST auth/email/verify and auth/email/verify/resend. A link key verifies its address wherever it
/// is opened; it logs in only the session whose pending flow is waiting for that account (and only with
/// LoginOnEmailConfirmation on). With verification by code, the code is checked against the challenge of
/// the session's pending flow, or, for a logged-in user who added an address, of the session itself.
/// </summary>
public sealed class EmailVerificationFlow(
    GatehouseDbContext db, AuthContext auth, AuthResponses responses, SessionStore sessions, UserDirectory users,
    LoginCompletion completion, VerificationMails verificationMails, MailKeys mailKeys, RateLimiter rateLimiter,
    CodeChallenges challenges, AuditLog audit, TimeProvider time, IOptions<AccountOptions> options)
{
    public const string KeyHeader = "X-Email-Verification-Key";
    private readonly AccountOptions _options = options.Value;

    private sealed record Target(User User, EmailAddress Address, VerificationKey? Key);

    public async Task<ApiResult> InfoAsync(string? key, CancellationToken ct)
    {
        var (target, error) = await ResolveAsync(key, consume: false, ct);
        if (error is not null)
        {
            await db.SaveChangesAsync(ct);
            return error;
        }
        var pending = auth.PendingAt(time.GetUtcNow().UtcDateTime);
        var isAuthenticating = pending?.CurrentStage == FlowIds.VerifyEmail && pending.UserId == target!.User.Id;
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
        if (VerifyEmailInput.Read(input) is not { Key: var key })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var (target, error) = await ResolveAsync(key, consume: true, ct);
        if (error is not null)
        {
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
            return error;
        }
        var (user, address, record) = target!;
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

        if (auth.IsAuthenticated && auth.Session!.State.Verification is not null)
        {
            var state = auth.Session.State;
            state.Verification = null;
            sessions.SaveState(auth, state);
        }
        var pending = auth.PendingAt(time.GetUtcNow().UtcDateTime);
        if (pending?.CurrentStage == FlowIds.VerifyEmail && pending.UserId == user.Id)
        {
            // Codes prove the mailbox in this very session, so they always continue the login (allauth does too).
            if (_options.LoginOnEmailConfirmation || _options.EmailVerificationByCodeEnabled)
            {
                var next = await completion.CompleteStageAsync(FlowIds.VerifyEmail, user, pending, ct);
                await transaction.CommitAsync(ct);
                return next;
            }
            sessions.SaveState(auth, new SessionState());
        }
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return responses.Current(auth);
    }

    public async Task<ApiResult> ResendAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (auth.IsAuthenticated)
        {
            var verification = auth.Session!.State.Verification;
            if (verification is null || verification.ExpiresAt <= now)
            {
                return ApiResult.Conflict();
            }
            if (!await rateLimiter.TryHitAsync("confirm_email", new(Key: verification.Email), ct))
            {
                return ApiResult.TooManyRequests();
            }
            var owner = await users.FindByIdAsync(auth.User!.Id, ct);
            var own = owner?.EmailAddresses.FirstOrDefault(e => e.EmailNormalized == verification.Email && !e.Verified);
            if (own is null)
            {
                return ApiResult.Conflict();
            }
            var state = auth.Session.State;
            await verificationMails.SendCodeToLoggedInAsync(owner!, own, state, VerificationCooldown.Counted, ct);
            sessions.SaveState(auth, state);
            await db.SaveChangesAsync(ct);
            return ApiResult.Ok();
        }

        var pending = auth.PendingAt(now);
        if (pending?.CurrentStage != FlowIds.VerifyEmail)
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

    /// <summary>
    /// Finds the address a key or code verifies. A wrong code counts an attempt (GET as POST, as allauth);
    /// a missing one does not, so cross-site navigations without a code cannot end a victim's flow. With
    /// <paramref name="consume"/> (POST) the key or challenge is used up by this request alone.
    /// </summary>
    private async Task<(Target? Target, ApiResult? Error)> ResolveAsync(string? key, bool consume, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (_options.EmailVerificationByCodeEnabled)
        {
            var verification = auth.IsAuthenticated ? auth.Session!.State.Verification : null;
            var pending = auth.PendingAt(now);
            var challenge = verification is not null && verification.ExpiresAt > now
                ? verification.Challenge
                : pending?.CurrentStage == FlowIds.VerifyEmail ? pending.StateOf(FlowIds.VerifyEmail).Challenge ?? "" : null;
            if (challenge is null)
            {
                return (null, ApiResult.Conflict());
            }
            if (string.IsNullOrWhiteSpace(key))
            {
                return (null, ApiResult.BadRequest(ApiError.Required("key")));
            }
            var check = await challenges.CheckAsync(CodePurposes.EmailVerification, challenge, key, _options.EmailVerificationByCodeMaxAttempts, consume, ct);
            switch (check)
            {
                case CodeCheck.AlreadyUsed:
                    return (null, ApiResult.Conflict());
                case CodeCheck.Exhausted:
                    EndCodeProcess(verification is not null);
                    return (null, IncorrectCode());
                case CodeCheck.Incorrect:
                    return (null, IncorrectCode());
            }
            var ownerId = verification is not null ? auth.User!.Id : pending!.UserId;
            var email = verification is not null ? verification.Email : pending!.Email;
            var owner = ownerId is null ? null : await users.FindByIdAsync(ownerId.Value, ct);
            var ownAddress = owner?.EmailAddresses.FirstOrDefault(e => e.EmailNormalized == email);
            return owner is null || ownAddress is null ? (null, ApiResult.Conflict()) : (new Target(owner, ownAddress, null), null);
        }

        var invalid = ApiResult.BadRequest(ApiErrors.InvalidOrExpiredKey("key"));
        var record = await mailKeys.FindLiveAsync(KeyPurposes.EmailVerification, key, ct);
        if (record is null)
        {
            return (null, invalid);
        }
        var user = await users.FindByIdAsync(record.UserId, ct);
        var address = user?.EmailAddresses.FirstOrDefault(e => e.EmailNormalized == record.Email);
        if (user is null || address is null)
        {
            return (null, invalid);
        }
        // One conditional update decides which of several concurrent uses of one key is the one.
        if (consume && !await mailKeys.ConsumeAsync(record.Id, ct))
        {
            return (null, invalid);
        }
        return (new Target(user, address, record), null);
    }

    private static ApiResult IncorrectCode() => ApiResult.BadRequest(ApiErrors.IncorrectCode("key"));

    /// <summary>No attempts left: the logged-in verification, or the whole pending login, is over.</summary>
    private void EndCodeProcess(bool loggedIn)
    {
        var state = loggedIn ? auth.Session!.State : new SessionState();
        state.Verification = null;
        sessions.SaveState(auth, state);
    }
}
