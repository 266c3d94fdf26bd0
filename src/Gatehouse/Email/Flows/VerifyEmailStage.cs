using Gatehouse.Account.Stages;
using Gatehouse.Configuration;
using Gatehouse.Sessions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Email.Flows;

/// <summary>
/// The <c>verify_email</c> login stage: with mandatory verification, a user none of whose addresses is
/// verified gets a verification mail (link or code) and logs in only after confirming it
/// (auth/email/verify, <see cref="EmailVerificationFlow"/>).
/// </summary>
public sealed class VerifyEmailStage(VerificationMails mails, IOptions<AccountOptions> options) : ILoginStage
{
    public string Id => FlowIds.VerifyEmail;

    public ValueTask<bool> AppliesToAsync(StageContext context, CancellationToken ct) =>
        ValueTask.FromResult(options.Value.EmailVerification == EmailVerificationMode.Mandatory && !context.User.EmailAddresses.Any(e => e.Verified));

    public async ValueTask EnterAsync(StageContext context, CancellationToken ct)
    {
        if (context.User.EmailAddresses.FirstOrDefault(e => e.IsPrimary) is { } address)
        {
            // A signup always mails; a login into an unverified account mails unless one went out recently.
            await mails.SendAsync(context.User, address, context.Signup, context.Pending, context.Signup ? VerificationCooldown.Start : VerificationCooldown.Respect, ct);
        }
    }
}
