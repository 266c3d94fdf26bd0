using Gatehouse.Account.Flows;
using Gatehouse.Http;
using Gatehouse.Sessions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Account;

/// <summary>The account routes: login, signup, session, reauthentication, login by code, passwords.</summary>
public static class AccountApi
{
    public static RouteGroupBuilder MapAccount(this RouteGroupBuilder group)
    {
        group.MapPost("auth/login", static (HttpRequest request, LoginFlow flow, CancellationToken ct) =>
            Body.Json(request, input => flow.LoginAsync(input, ct), ct));
        group.MapPost("auth/signup", static (HttpRequest request, SignupFlow flow, CancellationToken ct) =>
            Body.Json(request, input => flow.SignupAsync(input, ct), ct));

        group.MapGet("auth/session", static (AuthContext auth, AuthResponses responses) => responses.Current(auth));
        group.MapDelete("auth/session", static (LogoutFlow flow, CancellationToken ct) => flow.LogoutAsync(ct));

        group.MapPost("auth/reauthenticate", static (HttpRequest request, ReauthenticateFlow flow, CancellationToken ct) =>
            Body.Json(request, input => flow.ReauthenticateAsync(input, ct), ct));

        group.MapPost("auth/code/request", static (HttpRequest request, LoginByCodeFlow flow, CancellationToken ct) =>
            Body.Json(request, input => flow.RequestAsync(input, ct), ct));
        group.MapPost("auth/code/confirm", static (HttpRequest request, LoginByCodeFlow flow, CancellationToken ct) =>
            Body.Json(request, input => flow.ConfirmAsync(input, ct), ct));
        group.MapPost("auth/code/resend", static (LoginByCodeFlow flow, CancellationToken ct) => flow.ResendAsync(ct));

        group.MapPost("auth/password/request", static (HttpRequest request, PasswordResetFlow flow, CancellationToken ct) =>
            Body.Json(request, input => flow.RequestAsync(input, ct), ct));
        group.MapGet("auth/password/reset", static (HttpRequest request, PasswordResetFlow flow, CancellationToken ct) =>
            flow.InfoAsync(request.Headers[PasswordResetFlow.KeyHeader].FirstOrDefault(), ct));
        group.MapPost("auth/password/reset", static (HttpRequest request, PasswordResetFlow flow, CancellationToken ct) =>
            Body.Json(request, input => flow.ResetAsync(input, ct), ct));

        group.MapPost("account/password/change", static (HttpRequest request, PasswordChangeFlow flow, CancellationToken ct) =>
            Body.Json(request, input => flow.ChangeAsync(input, ct), ct));
        return group;
    }
}
