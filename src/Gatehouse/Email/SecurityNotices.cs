using System.Globalization;
using Gatehouse.Configuration;
using Gatehouse.Sessions;
using Gatehouse.Storage.Entities;
using Microsoft.Extensions.Options;

namespace Gatehouse.Email;

/// <summary>
/// Security notification mails (allauth's ACCOUNT_EMAIL_NOTIFICATIONS and its mfa/email templates): what
/// changed, when, from which address and browser. Queued in the caller's unit of work like all mail, so a
/// notice exists exactly when its change commits. Off with <see cref="EmailOptions.Notifications"/> = false.
/// </summary>
public sealed class SecurityNotices(Mailer mailer, AuthContext auth, TimeProvider time, IOptions<EmailOptions> options)
{
    /// <summary>
    /// Queues <paramref name="template"/> (one of <see cref="SecurityNoticeTemplates"/>) to <paramref name="to"/>, which
    /// must be an address of the account's owner (a verified one where the account has it).
    /// </summary>
    public void Send(string? to, string template, Dictionary<string, string>? values = null)
    {
        if (!options.Value.Notifications || string.IsNullOrEmpty(to))
        {
            return;
        }
        values ??= [];
        values.TryAdd("ip", auth.Ip);
        values.TryAdd("user_agent", auth.UserAgent);
        values.TryAdd("timestamp", time.GetUtcNow().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture));
        mailer.Enqueue(to, template, values);
    }

    /// <summary>Queues <paramref name="template"/> to <see cref="OwnerAddress">the owner's address</see>, if the account has one.</summary>
    public void SendToOwner(User user, string template, Dictionary<string, string>? values = null) =>
        Send(OwnerAddress(user), template, values);

    /// <summary>
    /// Where a notice about <paramref name="user"/> goes: the primary address when it is verified, else the first
    /// verified one (allauth mails the primary, verified or not). An address nobody proved may belong to someone
    /// other than whoever signed up with it, so it gets no mail about the account: fail closed.
    /// </summary>
    public static string? OwnerAddress(User user) =>
        (user.EmailAddresses.FirstOrDefault(e => e.IsPrimary && e.Verified)
            ?? user.EmailAddresses.Where(e => e.Verified).OrderBy(e => e.Id).FirstOrDefault())?.Email;
}

/// <summary>The notification templates (Email/Templates/&lt;name&gt;.txt and .subject.txt), named after allauth's.</summary>
public static class SecurityNoticeTemplates
{
    public const string PasswordChanged = "password_changed";
    public const string PasswordReset = "password_reset";
    public const string PasswordSet = "password_set";
    public const string EmailAdded = "email_added";
    public const string EmailRemoved = "email_deleted";
    /// <summary>The primary address changed; to the previous primary (allauth's email_changed).</summary>
    public const string EmailChanged = "email_changed";
    public const string TotpActivated = "totp_activated";
    public const string TotpDeactivated = "totp_deactivated";
    public const string RecoveryCodesGenerated = "recovery_codes_generated";
    public const string RecoveryCodeUsed = "recovery_code_used";
    public const string WebAuthnAdded = "webauthn_added";
    public const string WebAuthnRemoved = "webauthn_removed";
}
