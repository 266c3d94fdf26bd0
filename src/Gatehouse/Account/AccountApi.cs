using Gatehouse.Account.Flows;
using Gatehouse.Configuration;
using Gatehouse.Http;
using Gatehouse.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Account;

/// <summary>
/// The account routes: login, signup, session, reauthentication, login by code, passwords. A feature that
/// is switched off has no routes (allauth's <c>account/urls.py</c> appends <c>code/request</c> only when
/// login by code is on): nothing behind it can be reached by accident.
/// </summary>
public static class AccountApi
{
    public static void MapAccount(this RouteGroupBuilder group, RouteGroupBuilder authenticated, AccountOptions options)
    {
        group.MapPost("auth/login", static (JsonInput input, LoginFlow flow, CancellationToken ct) => flow.LoginAsync(input, ct));
        group.MapPost("auth/signup", static (JsonInput input, SignupFlow flow, CancellationToken ct) => flow.SignupAsync(input, ct));

        group.MapGet("auth/session", static (AuthContext auth, AuthResponses responses) => responses.Current(auth));
        group.MapDelete("auth/session", static (LogoutFlow flow, CancellationToken ct) => flow.LogoutAsync(ct));

        authenticated.MapPost("auth/reauthenticate", static (JsonInput input, ReauthenticateFlow flow, CancellationToken ct) =>
            flow.ReauthenticateAsync(input, ct));

        if (options.LoginByCodeEnabled)
        {
            group.MapPost("auth/code/request", static (JsonInput input, LoginByCodeFlow flow, CancellationToken ct) => flow.RequestAsync(input, ct));
            group.MapPost("auth/code/confirm", static (JsonInput input, LoginByCodeFlow flow, CancellationToken ct) => flow.ConfirmAsync(input, ct));
            group.MapPost("auth/code/resend", static (LoginByCodeFlow flow, CancellationToken ct) => flow.ResendAsync(ct));
        }

        group.MapPost("auth/password/request", static (JsonInput input, PasswordResetFlow flow, CancellationToken ct) => flow.RequestAsync(input, ct));
        group.MapGet("auth/password/reset", static (HttpRequest request, PasswordResetFlow flow, CancellationToken ct) =>
            flow.InfoAsync(request.Headers[PasswordResetFlow.KeyHeader].FirstOrDefault(), ct));
        group.MapPost("auth/password/reset", static (JsonInput input, PasswordResetFlow flow, CancellationToken ct) => flow.ResetAsync(input, ct));

        authenticated.MapPost("account/password/change", static (JsonInput input, PasswordChangeFlow flow, CancellationToken ct) =>
            flow.ChangeAsync(input, ct));
    }
}
