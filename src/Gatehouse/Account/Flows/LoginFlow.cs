using Gatehouse.Audit;
using Gatehouse.Configuration;
using Gatehouse.Http;
using Gatehouse.RateLimiting;
using Gatehouse.Security.Passwords;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Gatehouse.Account.Flows;

/// <summary>POST auth/login: email or username with a password.</summary>
public sealed class LoginFlow(
    GatehouseDbContext db, AuthContext auth, UserDirectory users, PasswordHashingExecutor hasher, RateLimiter rateLimiter,
    LoginCompletion completion, AuditLog audit, TimeProvider time, IOptions<AccountOptions> options)
{
    private readonly AccountOptions _options = options.Value;

    public async Task<ApiResult> LoginAsync(JsonInput input, CancellationToken ct)
    {
        if (LoginInput.Read(input, _options) is not { } login)
        {
            return ApiResult.BadRequest(input.Errors);
        }
        var (email, username, password) = login;
        if (auth.IsAuthenticated)
        {
            return ApiResult.Conflict();
        }
        if (!await rateLimiter.TryHitAsync("login", new(Ip: auth.Ip), ct))
        {
            return ApiResult.TooManyRequests();
        }

        var key = (email ?? username)!.Trim().ToLowerInvariant();
        // Counted before the (slow) hash and given back on success, as allauth does: checking first and
        // counting after would let parallel guesses all pass the check.
        var failedSubject = new RateLimitSubject(Ip: auth.Ip, Key: key);
        if (!await rateLimiter.TryHitAsync("login_failed", failedSubject, ct))
        {
            return ApiResult.BadRequest(ApiErrors.TooManyLoginAttempts());
        }

        var user = email is not null ? await users.FindForLoginAsync(email, ct) : await users.FindByUsernameAsync(username!, ct);
        // An unknown account still costs one hash, so timing does not tell whether it exists.
        var result = await hasher.VerifyCountedAsync(rateLimiter, failedSubject, password, user?.PasswordHash, auth.Ip, ct);
        if (user is null || result == PasswordVerificationResult.Failed)
        {
            audit.Record(AuditEvents.LoginFailed, user?.Id);
            await db.SaveChangesAsync(ct);
            return email is not null
                ? ApiResult.BadRequest(ApiErrors.EmailPasswordMismatch("password"))
                : ApiResult.BadRequest(ApiErrors.UsernamePasswordMismatch("password"));
        }
        if (!user.IsActive)
        {
            // allauth answers an inactive account with the plain 401 and no error.
            audit.Record(AuditEvents.LoginFailed, user.Id, new { reason = "inactive" });
            await db.SaveChangesAsync(ct);
            return completion.Unauthenticated();
        }
        if (result == PasswordVerificationResult.SuccessRehashNeeded)
        {
            // Only over the hash this login verified: a reset that committed meanwhile must not be undone by
            // writing the old password back at today's cost.
            var verified = user.PasswordHash;
            var rehashed = await hasher.HashAsync(password, auth.Ip, ct);
            await db.Users.Where(u => u.Id == user.Id && u.PasswordHash == verified)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.PasswordHash, rehashed), ct);
        }
        await rateLimiter.UndoHitAsync("login_failed", failedSubject, ct);

        var method = LoginCompletion.Method("password", time.GetUtcNow(), email: email is null ? null : PrimaryOrGiven(user, email), username: username is null ? null : user.Username);
        return await completion.ProceedAsync(user, [method], signup: false, ct);
    }

    private static string PrimaryOrGiven(User user, string email) =>
        user.EmailAddresses.FirstOrDefault(e => e.EmailNormalized == EmailValidation.Normalize(email))?.Email ?? email;
}
