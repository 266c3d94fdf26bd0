using Gatehouse.Configuration;
using Gatehouse.Email.Flows;
using Gatehouse.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Email;

/// <summary>Email routes: verification (auth/email/verify) and the account's addresses (account/email).</summary>
public static class EmailApi
{
    public static void MapEmail(this RouteGroupBuilder group, RouteGroupBuilder authenticated, AccountOptions options)
    {
        group.MapGet("auth/email/verify", static (HttpRequest request, EmailVerificationFlow flow, CancellationToken ct) =>
            flow.InfoAsync(request.Headers[EmailVerificationFlow.KeyHeader].FirstOrDefault(), ct));
        group.MapPost("auth/email/verify", static (JsonInput input, EmailVerificationFlow flow, CancellationToken ct) => flow.VerifyAsync(input, ct));
        if (options.EmailVerificationByCodeEnabled)
        {
            // Only codes are resent here (links are resent with PUT account/email); allauth maps it always
            // and answers 409 when codes are off: a route of a switched-off feature does not exist here.
            group.MapPost("auth/email/verify/resend", static (EmailVerificationFlow flow, CancellationToken ct) => flow.ResendAsync(ct));
        }

        authenticated.MapGet("account/email", static (ManageEmailFlow flow, CancellationToken ct) => flow.ListAsync(ct));
        authenticated.MapPost("account/email", static (JsonInput input, ManageEmailFlow flow, CancellationToken ct) => flow.AddAsync(input, ct));
        authenticated.MapPut("account/email", static (JsonInput input, ManageEmailFlow flow, CancellationToken ct) => flow.ResendAsync(input, ct));
        authenticated.MapPatch("account/email", static (JsonInput input, ManageEmailFlow flow, CancellationToken ct) => flow.MarkPrimaryAsync(input, ct));
        authenticated.MapDelete("account/email", static (JsonInput input, ManageEmailFlow flow, CancellationToken ct) => flow.RemoveAsync(input, ct));
    }
}
