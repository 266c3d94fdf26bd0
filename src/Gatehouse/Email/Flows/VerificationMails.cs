using Gatehouse.Configuration;
using Gatehouse.RateLimiting;
using Gatehouse.Security;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.Extensions.Options;

namespace Gatehouse.Email.Flows;

/// <summary>How a verification mail meets the per-address cooldown.</summary>
public enum VerificationCooldown
{
    /// <summary>Not sent within the cooldown (allauth skips it silently); a send starts the cooldown.</summary>
    Respect,
    /// <summary>Sent regardless (signup, a newly added address) and starts the cooldown, so a resend right after waits.</summary>
    Start,
    /// <summary>The caller has already counted this send against confirm_email (and answers 429 itself).</summary>
    Counted,
}

/// <summary>
/// Sends the "confirm your address" mail: a link key (stored as a hash) or, with verification by code,
/// a code kept in the pending flow. A cooldown per address keeps a login loop from flooding a mailbox;
/// within it the mail is silently not sent, as allauth does. The cooldown is allauth's: the
/// <c>confirm_email</c> rate limit keyed by the address, so it follows <c>RateLimits:Enabled</c> and
/// <c>RateLimits:Rules:confirm_email</c> (whose default comes from <c>Account:EmailConfirmationCooldown</c>).
/// </summary>
public sealed class VerificationMails(
    MailKeys mailKeys, Mailer mailer, CodeHasher codes, RateLimiter rateLimiter, TimeProvider time, IOptions<AccountOptions> options)
{
    public const string RateLimitAction = "confirm_email";

    private readonly AccountOptions _options = options.Value;

    /// <summary>
    /// Sends a verification for <paramref name="address"/> unless <paramref name="cooldown"/> says the
    /// cooldown holds it back. With verification by code and a <paramref name="pending"/> flow, the code
    /// goes into that flow. Returns whether it was sent.
    /// </summary>
    public async Task<bool> SendAsync(User user, EmailAddress address, bool signup, PendingFlow? pending,
        VerificationCooldown cooldown, CancellationToken ct)
    {
        if (cooldown != VerificationCooldown.Counted)
        {
            // Counted even when sent regardless, as allauth counts every verification mail.
            var allowed = await rateLimiter.TryHitAsync(RateLimitAction, new(Key: address.EmailNormalized), ct);
            if (!allowed && cooldown == VerificationCooldown.Respect)
            {
                return false;
            }
        }
        var now = time.GetUtcNow().UtcDateTime;
        address.LastConfirmationSentAt = now;
        var display = user.Username ?? address.Email;
        if (_options.EmailVerificationByCodeEnabled && pending is not null)
        {
            // The timeout runs from the first code, and failed attempts are kept across resends (allauth
            // does both), so resending buys neither time nor guesses.
            if (pending.CodeHash is null)
            {
                pending.ExpiresAt = now + _options.EmailVerificationByCodeTimeout;
            }
            var code = Secrets.NewCode();
            pending.CodeHash = codes.Hash(code);
            mailer.Enqueue(address.Email, "email_confirmation_code", new() { ["code"] = code, ["user_display"] = display });
            return true;
        }

        var key = mailKeys.Issue(KeyPurposes.EmailVerification, user, address.EmailNormalized, _options.EmailConfirmationExpiry);
        mailer.Enqueue(address.Email, signup ? "email_confirmation_signup" : "email_confirmation", new()
        {
            ["user_display"] = display,
            ["activate_url"] = mailer.Link(mailer.FrontendUrls.AccountConfirmEmail, key),
        });
        return true;
    }
}
