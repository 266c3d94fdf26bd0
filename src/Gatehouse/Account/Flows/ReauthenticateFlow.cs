using Gatehouse.Audit;
using Gatehouse.Http;
using Gatehouse.RateLimiting;
using Gatehouse.Security.Passwords;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Gatehouse.Account.Flows;

/// <summary>POST auth/reauthenticate: the password again, recorded as a new method so sensitive actions pass.</summary>
public sealed class ReauthenticateFlow(
    GatehouseDbContext db, AuthContext auth, AuthResponses responses, SessionStore sessions, PasswordHashingExecutor hasher,
    RateLimiter rateLimiter, AuditLog audit, TimeProvider time)
{
    public async Task<ApiResult> ReauthenticateAsync(JsonInput input, CancellationToken ct)
    {
        var userId = auth.User!.Id;
        if (!await rateLimiter.TryHitAsync("reauthenticate", new(UserId: userId), ct))
        {
            return ApiResult.TooManyRequests();
        }
        if (ReauthenticateInput.Read(input) is not { Password: var password })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        // Its own key space: a username "42" must not share user 42's counter. Counted before the hash.
        var failedSubject = new RateLimitSubject(Ip: auth.Ip, Key: "reauthenticate:" + userId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!await rateLimiter.TryHitAsync("login_failed", failedSubject, ct))
        {
            return ApiResult.BadRequest(ApiErrors.TooManyLoginAttempts());
        }
        var hash = await db.Users.Where(u => u.Id == userId).Select(u => u.PasswordHash).FirstOrDefaultAsync(ct);
        if (await hasher.VerifyCountedAsync(rateLimiter, failedSubject, password, hash, auth.Ip, ct) == PasswordVerificationResult.Failed)
        {
            return ApiResult.BadRequest(ApiErrors.IncorrectPassword("password"));
        }
        await rateLimiter.UndoHitAsync("login_failed", failedSubject, ct);
        var state = auth.Session!.State;
        state.Methods.Add(new AuthMethod { Method = "password", At = AuthResponses.Epoch(time.GetUtcNow()), Reauthenticated = true });
        sessions.SaveState(auth, state);
        audit.Record(AuditEvents.Reauthenticated, userId);
        await db.SaveChangesAsync(ct);
        return responses.Authenticated(auth);
    }
}
