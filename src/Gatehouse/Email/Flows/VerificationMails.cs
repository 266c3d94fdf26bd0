using Gatehouse.Configuration;
using Gatehouse.Security;
using Gatehouse.Sessions;
using Gatehouse.Storage;
using Gatehouse.Storage.Entities;
using Microsoft.Extensions.Options;

namespace Gatehouse.Email.Flows;

/// <summary>
/// Sends the "confirm your address" mail: a link key (stored as a hash) or, with verification by code,
/// a code kept in the pending flow. A cooldown per address (allauth's confirm_email limit) keeps a
/// login loop from flooding a mailbox; within it the mail is silently not sent, as allauth does.
/// </summary>
public sealed class VerificationMails(
    MailKeys mailKeys, Mailer mailer, CodeHasher codes, TimeProvider time, IOptions<AccountOptions> options)
{
    private readonly AccountOptions _options = options.Value;

    public bool InCooldown(EmailAddress address) =>
        address.LastConfirmationSentAt is { } sent && time.GetUtcNow().UtcDateTime - sent < _options.EmailConfirmationCooldown;

    /// <summary>
    /// Sends a verification for <paramref name="address"/> unless in cooldown. With verification by code
    /// and a <paramref name="pending"/> flow, the code goes into that flow. Returns whether it was sent.
    /// </summary>
    public bool Send(User user, EmailAddress address, bool signup, PendingFlow? pending, bool force = false)
    {
        if (!force && InCooldown(address))
        {
            return false;
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
