using Gatehouse.Audit;
using Gatehouse.Configuration;
using Gatehouse.Email;
using Gatehouse.Http;
using Gatehouse.RateLimiting;
using Gatehouse.Security.Passwords;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Gatehouse.Account.Flows;

/// <summary>
/// POST account/password/change: changes the password (or sets a first one for an account without a
/// usable password). The current session is rotated (the old app token answers 410) and, by default,
/// the account's other sessions end, as Django's session auth hash makes them: in the same transaction,
/// through a new security stamp, so logins still in flight with the old password end too.
/// </summary>
public sealed class PasswordChangeFlow(
    GatehouseDbContext db, AuthContext auth, AuthResponses responses, SessionStore sessions, UserDirectory users,
    PasswordHashingExecutor hasher, PasswordValidator passwordValidator, RateLimiter rateLimiter, MailKeys mailKeys, AuditLog audit,
    SecurityNotices notices, IOptions<AccountOptions> options)
{
    public async Task<ApiResult> ChangeAsync(JsonInput input, CancellationToken ct)
    {
        if (!await rateLimiter.TryHitAsync("change_password", new(UserId: auth.User!.Id), ct))
        {
            return ApiResult.TooManyRequests();
        }
        var user = await users.FindByIdAsync(auth.User.Id, ct);
        if (user is null)
        {
            return responses.SessionGone();
        }
        var hadPassword = DjangoPasswordHasher.IsUsable(user.PasswordHash);
        var (current, newPassword) = PasswordChangeInput.Read(input, hadPassword);
        if (newPassword is not null)
        {
            foreach (var problem in passwordValidator.Validate(newPassword, [("username", user.Username), .. user.EmailAddresses.Select(e => ("email address", (string?)e.Email))]))
            {
                input.AddError(new ApiError(problem.Message, problem.Code, "new_password"));
            }
        }
        if (current is not null && await hasher.VerifyAsync(current, user.PasswordHash, auth.Ip, ct) == PasswordVerificationResult.Failed)
        {
            input.AddError(ApiErrors.EnterCurrentPassword("current_password"));
        }
        if (!input.IsValid)
        {
            return ApiResult.BadRequest(input.Errors);
        }

        var hash = await hasher.HashAsync(newPassword!, auth.Ip, ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        user.PasswordHash = hash;
        await mailKeys.ConsumeAllAsync(KeyPurposes.PasswordReset, user.Id, normalizedEmail: null, ct);
        if (options.Value.LogoutOtherSessionsOnPasswordChange)
        {
            SessionStore.RevokeAll(user);
            await sessions.EndOthersAsync(user.Id, keepId: auth.Session!.Id, ct);
        }
        // The session this request answers with carries the new stamp; the old token is gone (410).
        sessions.StartLoggedIn(auth, user, auth.Session!.State);
        audit.Record(hadPassword ? AuditEvents.PasswordChanged : AuditEvents.PasswordSet, user.Id);
        notices.SendToOwner(user, hadPassword ? SecurityNoticeTemplates.PasswordChanged : SecurityNoticeTemplates.PasswordSet);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return responses.Authenticated(auth);
    }
}
