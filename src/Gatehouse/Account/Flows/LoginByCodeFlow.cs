using Gatehouse.Configuration;
using Gatehouse.Email;
using Gatehouse.Http;
using Gatehouse.RateLimiting;
using Gatehouse.Security;
using Gatehouse.Security.Passwords;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Microsoft.Extensions.Options;

namespace Gatehouse.Account.Flows;

/// <summary>
/// auth/code/request, confirm and resend: a one-time code mailed to the address. The code lives only as
/// an HMAC in the session's pending flow, with an attempt limit; the third wrong code ends the flow.
/// </summary>
public sealed class LoginByCodeFlow(
    GatehouseDbContext db, AuthContext auth, AuthResponses responses, SessionStore sessions, UserDirectory users,
    RateLimiter rateLimiter, LoginCompletion completion, Mailer mailer, CodeHasher codes, TimeProvider time,
    IOptions<AccountOptions> options)
{
    private readonly AccountOptions _options = options.Value;

    public async Task<ApiResult> RequestAsync(JsonInput input, CancellationToken ct)
    {
        var email = EmailValidation.Read(input);
        if (!input.IsValid)
        {
            return ApiResult.BadRequest(input.Errors);
        }
        if (auth.IsAuthenticated)
        {
            return ApiResult.Conflict();
        }
        var normalized = EmailValidation.Normalize(email!);
        // allauth consumes this limit inside the form, so it surfaces as a field error, not a 429.
        if (!await rateLimiter.TryHitAsync("request_login_code", new(Ip: auth.Ip, Key: normalized), ct))
        {
            return ApiResult.BadRequest(new ApiError("Too many failed login attempts. Try again later.", ErrorCodes.TooManyLoginAttempts, "email"));
        }
        var user = await users.FindForLoginAsync(normalized, ct);
        if (user is null && !_options.PreventEnumeration)
        {
            return ApiResult.BadRequest(new ApiError("The email address is not assigned to any user account.", ErrorCodes.UnknownEmail, "email"));
        }

        var pending = new PendingFlow
        {
            Stages = [Stages.LoginByCode],
            UserId = user?.Id,
            Email = normalized,
            ExpiresAt = time.GetUtcNow().UtcDateTime + _options.LoginByCodeTimeout,
        };
        SendCode(pending, user is not null);
        sessions.Start(auth, null, new SessionState { Pending = pending });
        await db.SaveChangesAsync(ct);
        return responses.Unauthenticated(auth);
    }

    public async Task<ApiResult> ConfirmAsync(JsonInput input, CancellationToken ct)
    {
        var pending = auth.PendingAt(time.GetUtcNow().UtcDateTime);
        if (pending?.CurrentStage != Stages.LoginByCode)
        {
            return ApiResult.Conflict();
        }
        var code = input.Text("code", maxLength: 64);
        if (!input.IsValid)
        {
            return ApiResult.BadRequest(input.Errors);
        }
        if (!codes.Matches(code!, pending.CodeHash) || pending.UserId is null)
        {
            pending.Attempts++;
            sessions.SaveState(auth, new SessionState { Pending = pending.Attempts >= _options.LoginByCodeMaxAttempts ? null : pending });
            await db.SaveChangesAsync(ct);
            return ApiResult.BadRequest(new ApiError("Incorrect code.", ErrorCodes.IncorrectCode, "code"));
        }
        var user = await users.FindByIdAsync(pending.UserId.Value, ct);
        if (user is null || !user.IsActive)
        {
            sessions.SaveState(auth, new SessionState());
            await db.SaveChangesAsync(ct);
            return ApiResult.Conflict();
        }
        // Reading the code proves the mailbox: the address counts as verified from now on.
        var address = user.EmailAddresses.FirstOrDefault(e => e.EmailNormalized == pending.Email);
        if (address is { Verified: false })
        {
            if (!user.EmailAddresses.Any(e => e.Verified))
            {
                // No mailbox owner ever claimed this account: whoever signed it up chose its password and
                // could be someone else waiting for the owner to move in. The owner gets it without that
                // password (set one with account/password/change) and without anyone else's sessions.
                user.PasswordHash = DjangoPasswordHasher.UnusablePassword();
                await sessions.EndOthersAsync(user.Id, keepId: null, ct);
            }
            address.Verified = true;
        }
        var method = LoginCompletion.Method("code", time.GetUtcNow(), email: address?.Email ?? pending.Email);
        return await completion.ProceedAsync(user, [.. pending.Methods, method], signup: false, ct);
    }

    public async Task<ApiResult> ResendAsync(CancellationToken ct)
    {
        var pending = auth.PendingAt(time.GetUtcNow().UtcDateTime);
        if (pending?.CurrentStage != Stages.LoginByCode)
        {
            return ApiResult.Conflict();
        }
        if (!await rateLimiter.TryHitAsync("request_login_code", new(Ip: auth.Ip, Key: pending.Email), ct))
        {
            return ApiResult.TooManyRequests();
        }
        SendCode(pending, pending.UserId is not null);
        sessions.SaveState(auth, new SessionState { Pending = pending });
        await db.SaveChangesAsync(ct);
        return ApiResult.Ok();
    }

    private void SendCode(PendingFlow pending, bool accountExists)
    {
        // A resend makes a new code but keeps the flow's failed attempts (allauth does too): resending
        // must not buy an attacker a fresh set of guesses.
        if (!accountExists)
        {
            // No code exists for an unknown address; the owner of the mailbox learns someone tried.
            pending.CodeHash = null;
            mailer.EnqueueUnknownAccount(pending.Email!);
            return;
        }
        var code = Secrets.NewCode();
        pending.CodeHash = codes.Hash(code);
        mailer.Enqueue(pending.Email!, "login_code", new() { ["code"] = code });
    }
}
