namespace Gatehouse.Configuration;

/// <summary>
/// <c>Gatehouse:Mfa</c>: multi-factor authentication, named after allauth's <c>MFA_*</c> settings.
/// Where the default differs from allauth's it says why.
/// </summary>
public sealed class MfaOptions
{
    public const string Section = "Gatehouse:Mfa";

    /// <summary>
    /// MFA_SUPPORTED_TYPES: any of "totp", "recovery_codes", "webauthn". allauth's default leaves WebAuthn
    /// out; ours has it, since passkeys are what users expect now. Routes of a type not listed do not exist.
    /// </summary>
    public string[] SupportedTypes { get; set; } = [MfaTypes.RecoveryCodes, MfaTypes.Totp, MfaTypes.WebAuthn];

    /// <summary>MFA_PASSKEY_LOGIN_ENABLED (allauth: off). Only with "webauthn" supported.</summary>
    public bool PasskeyLoginEnabled { get; set; } = true;
    /// <summary>MFA_PASSKEY_SIGNUP_ENABLED (allauth: off): an account with a passkey and no password.</summary>
    public bool PasskeySignupEnabled { get; set; }

    /// <summary>MFA_TOTP_PERIOD, in seconds.</summary>
    public int TotpPeriod { get; set; } = 30;
    /// <summary>MFA_TOTP_DIGITS.</summary>
    public int TotpDigits { get; set; } = 6;
    /// <summary>
    /// MFA_TOTP_TOLERANCE: time steps accepted either side of now. allauth's default is 0; RFC 6238 (section 5.2)
    /// recommends one step of tolerance for clock drift and typing time, which is what authenticator users expect.
    /// </summary>
    public int TotpTolerance { get; set; } = 1;
    /// <summary>MFA_TOTP_ISSUER: the issuer in the otpauth URL (empty: the site name).</summary>
    public string TotpIssuer { get; set; } = "";

    /// <summary>MFA_RECOVERY_CODE_COUNT.</summary>
    public int RecoveryCodeCount { get; set; } = 10;
    /// <summary>MFA_RECOVERY_CODE_DIGITS.</summary>
    public int RecoveryCodeDigits { get; set; } = 8;

    /// <summary>Wrong second-factor codes a pending login or reauthentication may try before it ends.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>MFA_TRUST_ENABLED (allauth: off): the mfa_trust stage after MFA in the browser.</summary>
    public bool TrustEnabled { get; set; }
    /// <summary>MFA_TRUST_COOKIE_AGE.</summary>
    public TimeSpan TrustLifetime { get; set; } = TimeSpan.FromDays(14);
    /// <summary>MFA_TRUST_COOKIE_NAME.</summary>
    public string TrustCookieName { get; set; } = "mfa_trusted";

    /// <summary>
    /// A staff account without an authenticator cannot finish logging in until it has set one up
    /// (allauth has no such setting; the seeds ask to consider it).
    /// </summary>
    public bool RequiredForStaff { get; set; }

    /// <summary>WebAuthn relying party id (a registrable domain, e.g. "example.com"). Required when "webauthn" is supported outside Development.</summary>
    public string? WebAuthnRpId { get; set; }
    /// <summary>The relying party name shown by authenticators (empty: the site name).</summary>
    public string WebAuthnRpName { get; set; } = "";
    /// <summary>Origins a WebAuthn ceremony may come from (e.g. "https://app.example.com").</summary>
    public string[] WebAuthnOrigins { get; set; } = [];
    /// <summary>MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN: plain-http origins (localhost). Refused outside Development.</summary>
    public bool WebAuthnAllowInsecureOrigin { get; set; }

    public bool Supports(string type) => SupportedTypes.Contains(type, StringComparer.Ordinal);
    public bool PasskeyLogin => PasskeyLoginEnabled && Supports(MfaTypes.WebAuthn);
    public bool PasskeySignup => PasskeySignupEnabled && Supports(MfaTypes.WebAuthn);
}

/// <summary>Authenticator types, in allauth's order (<c>Authenticator.Type</c>), which is the order of <c>types</c> on the wire.</summary>
public static class MfaTypes
{
    public const string RecoveryCodes = "recovery_codes";
    public const string Totp = "totp";
    public const string WebAuthn = "webauthn";

    public static readonly IReadOnlyList<string> InWireOrder = [RecoveryCodes, Totp, WebAuthn];
}
