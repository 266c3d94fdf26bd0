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
/// a code whose <see cref="CodeChallenges">challenge</see> the pending flow (or, for a logged-in user, the
/// session) refers to. A cooldown per address keeps a login loop from flooding a mailbox; within it the
/// mail is silently not sent, as allauth does. The cooldown is allauth's: the <c>confirm_email</c> rate
/// limit keyed by the address, so it follows <c>RateLimits:Enabled</c> and
/// <c>RateLimits:Rules:confirm_email</c> (whose default comes from <c>Account:EmailConfirmationCooldown</c>).
/// </summary>
public sealed class VerificationMails(
    MailKeys mailKeys, Mailer mailer, CodeChallenges challenges, RateLimiter rateLimiter, TimeProvider time, IOptions<AccountOptions> options)
{
    public const string RateLimitAction = "confirm_email";

    private readonly AccountOptions _options = options.Value;

    /// <summary>
    /// Sends a verification for <paramref name="address"/> unless <paramref name="cooldown"/> says the
    /// cooldown holds it back. With verification by code and a <paramref name="pending"/> flow, the code's
    /// challenge goes into that flow's verify_email state. Returns whether it was sent.
    /// </summary>
    public async Task<bool> SendAsync(User user, EmailAddress address, bool signup, PendingFlow? pending,
        VerificationCooldown cooldown, CancellationToken ct)
    {
        if (!await MaySendAsync(address, cooldown, ct))
        {
            if (_options.EmailVerificationByCodeEnabled && pending is not null && pending.StateOf(FlowIds.VerifyEmail).Challenge is null)
            {
                // No new mail within the cooldown, but the flow still gets its challenge (one no code passes
                // until a resend puts a code in it), so a typo counts as an attempt instead of ending the flow.
                pending.ExpiresAt = time.GetUtcNow().UtcDateTime + _options.EmailVerificationByCodeTimeout;
                pending.StateOf(FlowIds.VerifyEmail).Challenge = challenges.Issue(CodePurposes.EmailVerification, null, pending.ExpiresAt);
            }
            return false;
        }
        var now = time.GetUtcNow().UtcDateTime;
        address.LastConfirmationSentAt = now;
        var display = user.Username ?? address.Email;
        if (_options.EmailVerificationByCodeEnabled && pending is not null)
        {
            var code = Secrets.NewCode();
            var state = pending.StateOf(FlowIds.VerifyEmail);
            if (state.Challenge is null)
            {
                // The timeout runs from the first code; a resend replaces the code in the same challenge,
                // which keeps the failed attempts (allauth does both), so resending buys neither time nor guesses.
                pending.ExpiresAt = now + _options.EmailVerificationByCodeTimeout;
                state.Challenge = challenges.Issue(CodePurposes.EmailVerification, code, pending.ExpiresAt);
            }
            else
            {
                await challenges.ReplaceCodeAsync(state.Challenge, code, ct);
            }
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

    /// <summary>
    /// Verification by code of an address a logged-in user added (or asked to verify again): the code's
    /// challenge is kept in the session's <see cref="SessionState.Verification"/>, as allauth keeps its
    /// verification process in the session, and auth/email/verify accepts it from that session.
    /// </summary>
    public async Task<bool> SendCodeToLoggedInAsync(User user, EmailAddress address, SessionState state, VerificationCooldown cooldown, CancellationToken ct)
    {
        if (!await MaySendAsync(address, cooldown, ct))
        {
            return false;
        }
        var now = time.GetUtcNow().UtcDateTime;
        address.LastConfirmationSentAt = now;
        var code = Secrets.NewCode();
        if (state.Verification is { } live && live.Email == address.EmailNormalized && live.ExpiresAt > now)
        {
            // Asking again for the same address replaces the code in the same challenge: its attempts and
            // expiry stay, so resending buys no guesses.
            await challenges.ReplaceCodeAsync(live.Challenge, code, ct);
        }
        else
        {
            var expires = now + _options.EmailVerificationByCodeTimeout;
            state.Verification = new AddressVerification
            {
                Email = address.EmailNormalized,
                Challenge = challenges.Issue(CodePurposes.EmailVerification, code, expires),
                ExpiresAt = expires,
            };
        }
        mailer.Enqueue(address.Email, "email_confirmation_code", new() { ["code"] = code, ["user_display"] = user.Username ?? address.Email });
        return true;
    }

    private async Task<bool> MaySendAsync(EmailAddress address, VerificationCooldown cooldown, CancellationToken ct)
    {
        if (cooldown == VerificationCooldown.Counted)
        {
            return true;
        }
        // Counted even when sent regardless, as allauth counts every verification mail.
        var allowed = await rateLimiter.TryHitAsync(RateLimitAction, new(Key: address.EmailNormalized), ct);
        return allowed || cooldown == VerificationCooldown.Start;
    }
}
