using Gatehouse.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gatehouse.Mfa.WebAuthn;

/// <summary>
/// Fills in the WebAuthn relying party when it is not configured: the rp id is the host of
/// Gatehouse:FrontendUrls:BaseUrl and the allowed origin its origin (the frontend is where the ceremony runs);
/// in Development without either, <c>localhost</c> and the local frontend and server origins.
/// </summary>
internal sealed class WebAuthnPostConfigure(IOptions<FrontendOptions> frontend, IHostEnvironment environment) : IPostConfigureOptions<MfaOptions>
{
    /// <summary>The web/ dev server and the standalone server's own pages (README).</summary>
    internal static readonly string[] DevelopmentOrigins = ["http://localhost:3000", "http://localhost:8000"];

    public void PostConfigure(string? name, MfaOptions options)
    {
        Uri? baseUrl = frontend.Value.BaseUrl is { } configured && Uri.TryCreate(configured, UriKind.Absolute, out var uri) ? uri : null;
        if (string.IsNullOrWhiteSpace(options.WebAuthnRpId))
        {
            options.WebAuthnRpId = baseUrl?.Host ?? (environment.IsDevelopment() ? "localhost" : null);
        }
        if (options.WebAuthnOrigins.Length == 0)
        {
            options.WebAuthnOrigins = baseUrl is not null ? [baseUrl.GetLeftPart(UriPartial.Authority)]
                : environment.IsDevelopment() ? DevelopmentOrigins : [];
        }
    }
}

/// <summary>
/// Start-up checks of the WebAuthn relying party (only when "webauthn" is supported): an rp id, https
/// origins whose host is the rp id or below it (W3C WebAuthn section 5.1.4.1: an rp id must be a registrable
/// suffix of the origin's effective domain, or browsers refuse the ceremony), plain http only in Development.
/// </summary>
internal sealed class WebAuthnOptionsValidator(IHostEnvironment environment, IOptions<AccountOptions> account) : IValidateOptions<MfaOptions>
{
    public ValidateOptionsResult Validate(string? name, MfaOptions options)
    {
        if (!options.Supports(MfaTypes.WebAuthn))
        {
            return options.PasskeySignupEnabled
                ? ValidateOptionsResult.Fail("Gatehouse:Mfa:PasskeySignupEnabled needs \"webauthn\" in Gatehouse:Mfa:SupportedTypes.")
                : ValidateOptionsResult.Success;
        }
        var failures = new List<string>();
        var rpId = options.WebAuthnRpId;
        if (string.IsNullOrWhiteSpace(rpId))
        {
            failures.Add("Gatehouse:Mfa:WebAuthnRpId is not set and Gatehouse:FrontendUrls:BaseUrl gives none: set it to your frontend's " +
                "domain (e.g. example.com), or take \"webauthn\" out of Gatehouse:Mfa:SupportedTypes.");
        }
        else if (Uri.CheckHostName(rpId) != UriHostNameType.Dns || !rpId.Equals(rpId.ToLowerInvariant(), StringComparison.Ordinal))
        {
            failures.Add($"Gatehouse:Mfa:WebAuthnRpId must be a lower-case domain name such as example.com, without scheme or port (got \"{rpId}\").");
        }
        if (options.WebAuthnOrigins.Length == 0)
        {
            failures.Add("Gatehouse:Mfa:WebAuthnOrigins is empty and Gatehouse:FrontendUrls:BaseUrl gives none: list the origins your " +
                "frontend runs on (e.g. https://app.example.com).");
        }
        foreach (var origin in options.WebAuthnOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.PathAndQuery != "/" ||
                origin.TrimEnd('/') != uri.GetLeftPart(UriPartial.Authority))
            {
                failures.Add($"Gatehouse:Mfa:WebAuthnOrigins has \"{origin}\": an origin is scheme, host and optional port, e.g. https://app.example.com.");
                continue;
            }
            if (uri.Scheme == "http" && !(environment.IsDevelopment() && (uri.IsLoopback || options.WebAuthnAllowInsecureOrigin)))
            {
                failures.Add($"Gatehouse:Mfa:WebAuthnOrigins has \"{origin}\": WebAuthn needs https outside Development " +
                    "(plain http only for localhost, or with WebAuthnAllowInsecureOrigin, in Development).");
            }
            if (rpId is not null && uri.Host != rpId && !uri.Host.EndsWith("." + rpId, StringComparison.Ordinal))
            {
                failures.Add($"Gatehouse:Mfa:WebAuthnOrigins has \"{origin}\", whose host is not {rpId} or below it: browsers refuse rp id \"{rpId}\" there.");
            }
        }
        if (options.PasskeySignupEnabled)
        {
            // allauth's mfa/checks.py: the passkey signup stage waits in the session behind verify_email, so the
            // address must be verified by code in that session, and an account without password needs its address.
            var a = account.Value;
            if (!a.EmailVerificationByCodeEnabled || a.EmailVerification != EmailVerificationMode.Mandatory || !a.SignupEmail)
            {
                failures.Add("Gatehouse:Mfa:PasskeySignupEnabled needs Gatehouse:Account:EmailVerification = Mandatory, " +
                    "EmailVerificationByCodeEnabled = true and SignupEmail = true (as allauth's MFA_PASSKEY_SIGNUP_ENABLED).");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
