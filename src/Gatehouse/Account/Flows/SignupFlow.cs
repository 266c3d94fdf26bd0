using Gatehouse.Audit;
using Gatehouse.Configuration;
using Gatehouse.Email;
using Gatehouse.Email.Flows;
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

/// <summary>POST auth/signup, and POST auth/webauthn/signup (the same signup without a password, ending in a passkey).</summary>
public sealed class SignupFlow(
    GatehouseDbContext db, AuthContext auth, AuthResponses responses, SessionStore sessions, UserDirectory users,
    PasswordHashingExecutor hasher, PasswordValidator passwordValidator, DisposableEmailDomains disposable,
    RateLimiter rateLimiter, LoginCompletion completion, VerificationMails verificationMails, Mailer mailer, CodeChallenges challenges,
    AuditLog audit, TimeProvider time, IOptions<AccountOptions> options)
{
    private readonly AccountOptions _options = options.Value;

    public async Task<ApiResult> SignupAsync(JsonInput input, CancellationToken ct, bool byPasskey = false)
    {
        if (auth.IsAuthenticated)
        {
            return ApiResult.Conflict();
        }
        if (!_options.IsOpenForSignup)
        {
            return new ApiResult(StatusCodes.Status403Forbidden);
        }
        if (!await rateLimiter.TryHitAsync("signup", new(Ip: auth.Ip), ct))
        {
            return ApiResult.TooManyRequests();
        }

        var (email, username, usernameWellFormed, password) = SignupInput.Read(input, _options, disposable, byPasskey);
        if (usernameWellFormed && await users.UsernameExistsAsync(username!, ct))
        {
            input.AddError(ApiErrors.UsernameTaken("username"));
        }
        if (password is not null)
        {
            foreach (var problem in passwordValidator.Validate(password, [("email address", email), ("username", username)]))
            {
                input.AddError(new ApiError(problem.Message, problem.Code, "password"));
            }
        }
        if (!input.IsValid)
        {
            return ApiResult.BadRequest(input.Errors);
        }

        // Hashed before the existence check: a duplicate address must take as long as a new one.
        var hash = byPasskey ? DjangoPasswordHasher.UnusablePassword() : await hasher.HashAsync(password!, auth.Ip, ct);

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                // One transaction: the release of another account's unproven claim on the address commits
                // with the new account or not at all.
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                if (email is not null)
                {
                    var normalized = EmailValidation.Normalize(email);
                    // An unverified secondary address on another account is an unproven claim: it yields to the signup.
                    if (await users.EmailExistsAsync(normalized, ct) && !await users.ReleaseUnverifiedClaimAsync(normalized, ct))
                    {
                        await transaction.RollbackAsync(ct);
                        return await DuplicateEmailAsync(email, ct);
                    }
                }
                var created = await CreateAsync(email, username, hash, afterCollision: attempt > 1, byPasskey, ct);
                await transaction.CommitAsync(ct);
                return created;
            }
            catch (DbUpdateException ex) when (UniqueViolation.Is(ex))
            {
                // Lost a race with a concurrent signup: answer exactly as a duplicate would be answered.
                db.ChangeTracker.Clear();
                if (!UniqueViolation.On(ex, "username_normalized"))
                {
                    return await DuplicateEmailAsync(email!, ct);
                }
                if (username is not null)
                {
                    return ApiResult.BadRequest(ApiErrors.UsernameTaken("username"));
                }
                if (attempt == 3)
                {
                    throw;
                }
                // A generated username was taken meanwhile: generate another.
            }
        }
    }

    private async Task<ApiResult> CreateAsync(string? email, string? username, string hash, bool afterCollision, bool byPasskey, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        username ??= await users.GenerateUsernameAsync(email, ct, afterCollision);
        var user = new User
        {
            Username = username,
            UsernameNormalized = username.ToLowerInvariant(),
            PasswordHash = hash,
            SecurityStamp = Secrets.NewUrlKey(),
            DateJoined = now,
        };
        if (email is not null)
        {
            user.EmailAddresses.Add(new EmailAddress
            {
                Email = EmailValidation.Normalize(email),
                EmailNormalized = EmailValidation.Normalize(email),
                IsPrimary = true,
                CreatedAt = now,
            });
        }
        db.Users.Add(user);
        await db.SaveChangesAsync(ct);
        audit.Record(AuditEvents.SignedUp, user.Id, new { email = email is null ? null : EmailValidation.Normalize(email) });
        if (_options.EmailVerification == EmailVerificationMode.Optional && user.EmailAddresses.FirstOrDefault() is { } address)
        {
            await verificationMails.SendAsync(user, address, signup: true, pending: null, VerificationCooldown.Start, ct);
        }
        return await completion.ProceedAsync(user, [], signup: true, passkeySignup: byPasskey, ct);
    }

    /// <summary>
    /// An address that already has an account. With enumeration prevention the answer is the same as a
    /// fresh signup's (pending verification that can never complete) and the owner gets a mail saying so.
    /// </summary>
    private async Task<ApiResult> DuplicateEmailAsync(string email, CancellationToken ct)
    {
        if (!_options.PreventEnumeration || _options.EmailVerification != EmailVerificationMode.Mandatory)
        {
            return ApiResult.BadRequest(ApiErrors.EmailTaken("email"));
        }
        var normalized = EmailValidation.Normalize(email);
        mailer.Enqueue(normalized, "account_already_exists", new()
        {
            ["email"] = normalized,
            ["password_reset_url"] = mailer.Link(mailer.FrontendUrls.AccountResetPassword),
        });
        audit.Record(AuditEvents.SignedUp, null, new { duplicate = true });
        var pending = new PendingFlow
        {
            Stages = [FlowIds.VerifyEmail],
            Email = normalized,
            ExpiresAt = time.GetUtcNow().UtcDateTime + _options.PendingFlowTimeout,
        };
        if (_options.EmailVerificationByCodeEnabled)
        {
            // A challenge no code passes, with the same attempt limit as a real one: typing codes into this
            // flow must look exactly like typing them into a new account's.
            pending.ExpiresAt = time.GetUtcNow().UtcDateTime + _options.EmailVerificationByCodeTimeout;
            pending.StateOf(FlowIds.VerifyEmail).Challenge = challenges.Issue(CodePurposes.EmailVerification, null, pending.ExpiresAt);
        }
        sessions.StartAnonymous(auth, new SessionState { Pending = pending });
        await db.SaveChangesAsync(ct);
        return responses.Unauthenticated(auth);
    }
}
