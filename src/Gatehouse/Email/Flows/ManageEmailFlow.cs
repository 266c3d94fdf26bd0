using System.Text.Json;
using Gatehouse.Account;
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
/// account/email: list (GET), add (POST), resend verification (PUT), make primary (PATCH), remove
/// (DELETE). Every method counts against allauth's manage_email limit, GET included.
/// </summary>
public sealed class ManageEmailFlow(
    GatehouseDbContext db, AuthContext auth, AuthResponses responses, SessionStore sessions, UserDirectory users, VerificationMails verificationMails, MailKeys mailKeys,
    DisposableEmailDomains disposable, RateLimiter rateLimiter, AuditLog audit, SecurityNotices notices, TimeProvider time,
    IOptions<AccountOptions> options)
{
    private readonly AccountOptions _options = options.Value;

    /// <summary>Common gate of every method (the route group already refused anyone not logged in): 429 when over the limit.</summary>
    public async Task<(User? User, ApiResult? Refusal)> EnterAsync(CancellationToken ct)
    {
        if (!await rateLimiter.TryHitAsync("manage_email", new(UserId: auth.User!.Id), ct))
        {
            return (null, ApiResult.TooManyRequests());
        }
        var user = await users.FindByIdAsync(auth.User.Id, ct);
        return user is null ? (null, responses.SessionGone()) : (user, null);
    }

    public async Task<ApiResult> ListAsync(CancellationToken ct)
    {
        var (user, refusal) = await EnterAsync(ct);
        return refusal ?? List(user!);
    }

    public async Task<ApiResult> AddAsync(JsonInput input, CancellationToken ct)
    {
        var (user, refusal) = await EnterAsync(ct);
        if (refusal is not null)
        {
            return refusal;
        }
        if (AddEmailInput.Read(input, disposable) is not { Email: var email })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        if (_options.ReauthenticationRequired && await responses.RequireRecentAuthenticationAsync(auth, ct) is { } reauthenticate)
        {
            return reauthenticate;
        }
        var normalized = EmailValidation.Normalize(email);
        if (user!.EmailAddresses.Any(e => e.EmailNormalized == normalized))
        {
            return ApiResult.BadRequest(ApiErrors.DuplicateEmail("email"));
        }
        // allauth (with enumeration prevention) lets the address be added unverified and fails at
        // verification; addresses are unique in our database, so it is refused here instead.
        if (await users.EmailExistsAsync(normalized, ct))
        {
            return EmailTaken();
        }
        if (_options.MaxEmailAddresses is { } max && user.EmailAddresses.Count >= max)
        {
            return ApiResult.BadRequest(ApiErrors.MaxEmailAddresses(max, "email"));
        }
        var address = new EmailAddress
        {
            Email = normalized,
            EmailNormalized = normalized,
            CreatedAt = time.GetUtcNow().UtcDateTime,
        };
        user.EmailAddresses.Add(address);
        await SendVerificationAsync(user, address, VerificationCooldown.Start, ct);
        audit.Record(AuditEvents.EmailAdded, user.Id, new { email = normalized });
        // To the address the owner already proved (the new one is unverified and gets its verification mail),
        // as allauth's first email_added notice did: whoever took over the session cannot add an address unseen.
        notices.SendToOwner(user, SecurityNoticeTemplates.EmailAdded, new() { ["added_email"] = normalized });
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (UniqueViolation.Is(ex))
        {
            return EmailTaken();
        }
        return List(user);
    }

    public async Task<ApiResult> ResendAsync(JsonInput input, CancellationToken ct)
    {
        var (user, refusal) = await EnterAsync(ct);
        if (refusal is not null)
        {
            return refusal;
        }
        if (SelectEmailInput.Read(input, user!) is not { Address: var address })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        if (address.Verified || !await SendVerificationAsync(user!, address, VerificationCooldown.Respect, ct))
        {
            return new ApiResult(StatusCodes.Status403Forbidden);
        }
        await db.SaveChangesAsync(ct);
        return ApiResult.Ok();
    }

    public async Task<ApiResult> MarkPrimaryAsync(JsonInput input, CancellationToken ct)
    {
        var (user, refusal) = await EnterAsync(ct);
        if (refusal is not null)
        {
            return refusal;
        }
        if (MarkPrimaryEmailInput.Read(input, user!) is not { Address: var address })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        if (_options.ReauthenticationRequired && await responses.RequireRecentAuthenticationAsync(auth, ct) is { } reauthenticate)
        {
            return reauthenticate;
        }
        if (!address.IsPrimary)
        {
            // Two steps in one transaction: the database allows one primary per user at every moment.
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var previous = user!.EmailAddresses.FirstOrDefault(e => e.IsPrimary);
            foreach (var other in user!.EmailAddresses.Where(e => e.IsPrimary))
            {
                other.IsPrimary = false;
            }
            await db.SaveChangesAsync(ct);
            address.IsPrimary = true;
            audit.Record(AuditEvents.EmailPrimaryChanged, user.Id, new { email = address.Email });
            // allauth's email_changed, to the previous primary (when it was proven; see SecurityNotices.OwnerAddress).
            if (previous is { Verified: true })
            {
                notices.Send(previous.Email, SecurityNoticeTemplates.EmailChanged, new() { ["from_email"] = previous.Email, ["to_email"] = address.Email });
            }
            await db.SaveChangesAsync(ct);
            await transaction.CommitAsync(ct);
        }
        return List(user!);
    }

    public async Task<ApiResult> RemoveAsync(JsonInput input, CancellationToken ct)
    {
        var (user, refusal) = await EnterAsync(ct);
        if (refusal is not null)
        {
            return refusal;
        }
        if (SelectEmailInput.Read(input, user!) is not { Address: var address })
        {
            return ApiResult.BadRequest(input.Errors);
        }
        if (_options.ReauthenticationRequired && await responses.RequireRecentAuthenticationAsync(auth, ct) is { } reauthenticate)
        {
            return reauthenticate;
        }
        var emailOnlyLogin = _options.LoginByEmail && !_options.LoginByUsername;
        if ((address.IsPrimary && (user!.EmailAddresses.Count > 1 || emailOnlyLogin)) || (emailOnlyLogin && user!.EmailAddresses.Count == 1))
        {
            return ApiResult.BadRequest(ApiErrors.CannotRemovePrimaryEmail("email"));
        }
        user!.EmailAddresses.Remove(address);
        db.EmailAddresses.Remove(address);
        await mailKeys.ConsumeAllAsync(KeyPurposes.EmailVerification, user.Id, address.EmailNormalized, ct);
        audit.Record(AuditEvents.EmailRemoved, user.Id, new { email = address.Email });
        notices.SendToOwner(user, SecurityNoticeTemplates.EmailRemoved, new() { ["deleted_email"] = address.Email });
        await db.SaveChangesAsync(ct);
        return List(user);
    }

    /// <summary>
    /// A link, or with verification by code a code that this session then accepts at auth/email/verify
    /// (the SPA goes to its verify page right after adding an address; allauth does the same).
    /// </summary>
    private async Task<bool> SendVerificationAsync(User user, EmailAddress address, VerificationCooldown cooldown, CancellationToken ct)
    {
        if (!_options.EmailVerificationByCodeEnabled)
        {
            return await verificationMails.SendAsync(user, address, signup: false, pending: null, cooldown, ct);
        }
        var state = auth.Session!.State;
        if (!await verificationMails.SendCodeToLoggedInAsync(user, address, state, cooldown, ct))
        {
            return false;
        }
        sessions.SaveState(auth, state);
        return true;
    }

    private static ApiResult EmailTaken() =>
        ApiResult.BadRequest(ApiErrors.EmailTaken("email"));

    private static ApiResult List(User user)
    {
        var addresses = user.EmailAddresses.OrderByDescending(e => e.IsPrimary).ThenBy(e => e.Id).ToList();
        return ApiResult.Ok(w => WriteList(w, addresses));
    }

    private static void WriteList(Utf8JsonWriter w, List<EmailAddress> addresses)
    {
        w.WriteStartArray();
        foreach (var address in addresses)
        {
            w.WriteStartObject();
            w.WriteString("email", address.Email);
            w.WriteBoolean("verified", address.Verified);
            w.WriteBoolean("primary", address.IsPrimary);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
