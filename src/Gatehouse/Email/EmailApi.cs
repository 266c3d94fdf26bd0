using Gatehouse.Email.Flows;
using Gatehouse.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Email;

/// <summary>Email routes: verification (auth/email/verify) and the account's addresses (account/email).</summary>
public static class EmailApi
{
    public static RouteGroupBuilder MapEmail(this RouteGroupBuilder group)
    {
        group.MapGet("auth/email/verify", static (HttpRequest request, EmailVerificationFlow flow, CancellationToken ct) =>
            flow.InfoAsync(request.Headers[EmailVerificationFlow.KeyHeader].FirstOrDefault(), ct));
        group.MapPost("auth/email/verify", static (HttpRequest request, EmailVerificationFlow flow, CancellationToken ct) =>
            Body.Json(request, input => flow.VerifyAsync(input, ct), ct));
        group.MapPost("auth/email/verify/resend", static (EmailVerificationFlow flow, CancellationToken ct) => flow.ResendAsync(ct));

        group.MapGet("account/email", static (ManageEmailFlow flow, CancellationToken ct) => flow.ListAsync(ct));
        group.MapPost("account/email", static (HttpRequest request, ManageEmailFlow flow, CancellationToken ct) =>
            Body.Json(request, input => flow.AddAsync(input, ct), ct));
        group.MapPut("account/email", static (HttpRequest request, ManageEmailFlow flow, CancellationToken ct) =>
            Body.Json(request, input => flow.ResendAsync(input, ct), ct));
        group.MapPatch("account/email", static (HttpRequest request, ManageEmailFlow flow, CancellationToken ct) =>
            Body.Json(request, input => flow.MarkPrimaryAsync(input, ct), ct));
        group.MapDelete("account/email", static (HttpRequest request, ManageEmailFlow flow, CancellationToken ct) =>
            Body.Json(request, input => flow.RemoveAsync(input, ct), ct));
        return group;
    }
}
