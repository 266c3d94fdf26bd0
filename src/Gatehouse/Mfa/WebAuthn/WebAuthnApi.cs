using Gatehouse.Account.Flows;
using Gatehouse.Configuration;
using Gatehouse.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace Gatehouse.Mfa.WebAuthn;

/// <summary>
/// The routes of this authenticator type, mapped only when it is in Gatehouse:Mfa:SupportedTypes (allauth's
/// headless/mfa/urls.py): passkey login only with PasskeyLoginEnabled, passkey signup only with PasskeySignupEnabled.
/// </summary>
internal static class WebAuthnApi
{
    public static void Map(RouteGroupBuilder group, RouteGroupBuilder authenticated, MfaOptions options)
    {
        authenticated.MapGet("account/authenticators/webauthn", static (HttpRequest request, WebAuthnFlow flow, CancellationToken ct) =>
            flow.BeginAddAsync(request.Query.ContainsKey("passwordless"), ct));
        authenticated.MapPost("account/authenticators/webauthn", static (JsonInput input, WebAuthnFlow flow, CancellationToken ct) => flow.AddAsync(input, ct));
        authenticated.MapPut("account/authenticators/webauthn", static (JsonInput input, WebAuthnFlow flow, CancellationToken ct) => flow.RenameAsync(input, ct));
        authenticated.MapDelete("account/authenticators/webauthn", static (JsonInput input, WebAuthnFlow flow, CancellationToken ct) => flow.RemoveAsync(input, ct));

        group.MapGet("auth/webauthn/authenticate", static (WebAuthnFlow flow, CancellationToken ct) => flow.BeginAuthenticateAsync(ct));
        group.MapPost("auth/webauthn/authenticate", static (JsonInput input, WebAuthnFlow flow, CancellationToken ct) => flow.AuthenticateAsync(input, ct));

        authenticated.MapGet("auth/webauthn/reauthenticate", static (WebAuthnFlow flow, CancellationToken ct) => flow.BeginReauthenticateAsync(ct));
        authenticated.MapPost("auth/webauthn/reauthenticate", static (JsonInput input, WebAuthnFlow flow, CancellationToken ct) => flow.ReauthenticateAsync(input, ct));

        if (options.PasskeyLogin)
        {
            group.MapGet("auth/webauthn/login", static (WebAuthnFlow flow, CancellationToken ct) => flow.BeginLoginAsync(ct));
            group.MapPost("auth/webauthn/login", static (JsonInput input, WebAuthnFlow flow, CancellationToken ct) => flow.LoginAsync(input, ct));
        }
        if (options.PasskeySignup)
        {
            // POST starts the signup (allauth's SignupWebAuthnView is the signup view without a password).
            group.MapPost("auth/webauthn/signup", static (JsonInput input, SignupFlow flow, CancellationToken ct) => flow.SignupAsync(input, ct, byPasskey: true));
            group.MapGet("auth/webauthn/signup", static (WebAuthnFlow flow, CancellationToken ct) => flow.BeginSignupAsync(ct));
            group.MapPut("auth/webauthn/signup", static (JsonInput input, WebAuthnFlow flow, CancellationToken ct) => flow.CompleteSignupAsync(input, ct));
        }
    }
}
