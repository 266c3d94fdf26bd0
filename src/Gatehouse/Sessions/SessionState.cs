using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gatehouse.Sessions;

/// <summary>
/// What a session remembers besides its user: how the user authenticated, and the flow in progress
/// (the "pending flow"). Stored as JSON in <c>sessions.state</c>.
/// </summary>
public sealed class SessionState
{
    public List<AuthMethod> Methods { get; set; } = [];
    public PendingFlow? Pending { get; set; }
    /// <summary>A WebAuthn ceremony whose options were handed out and whose answer is awaited (allauth's "mfa.webauthn.state").</summary>
    public Mfa.WebAuthn.WebAuthnCeremony? WebAuthn { get; set; }
    /// <summary>
    /// A logged-in user's address waiting for its mailed code (verification by code of an address added
    /// from account/email; allauth keeps this process in the session too).
    /// </summary>
    public AddressVerification? Verification { get; set; }
    /// <summary>
    /// MFA set-up in progress (allauth keeps the TOTP secret offered by GET account/authenticators/totp in the
    /// session): sealed with SecretBox, bound to the user, never in clear in the sessions table.
    /// </summary>
    public MfaSessionState? Mfa { get; set; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    public static SessionState Parse(string? json) =>
        string.IsNullOrEmpty(json) ? new SessionState() : JsonSerializer.Deserialize<SessionState>(json, Json) ?? new SessionState();
}

/// <summary>One entry of <c>data.methods</c>: how and when the user proved who they are.</summary>
public sealed class AuthMethod
{
    public required string Method { get; set; }
    /// <summary>Epoch seconds with fraction, as allauth writes it.</summary>
    public double At { get; set; }
    public string? Email { get; set; }
    public string? Username { get; set; }
    /// <summary>method "mfa": the authenticator's id and type (allauth's <c>post_authentication</c> extra data).</summary>
    public long? Id { get; set; }
    public string? Type { get; set; }
    public bool? Reauthenticated { get; set; }
    /// <summary>method "mfa": a passkey login (WebAuthn without a password first), which skips mfa_authenticate.</summary>
    public bool? Passwordless { get; set; }
}

/// <summary>
/// A multi-step authentication in progress. <see cref="Stages"/> lists what must still happen, first
/// one current: an entry flow (<c>login_by_code</c>, <c>password_reset_by_code</c>) or the stages a
/// proven user must pass (<c>verify_email</c>, later <c>mfa_authenticate</c>...; see
/// <see cref="Account.Stages.LoginStages"/>). Each stage keeps its own state under its id in
/// <see cref="StageStates"/>.
/// </summary>
public sealed class PendingFlow
{
    public List<string> Stages { get; set; } = [];
    /// <summary>Null when the account does not exist (enumeration prevention keeps the flow looking alike).</summary>
    public long? UserId { get; set; }
    public string? Email { get; set; }
    public DateTime ExpiresAt { get; set; }
    /// <summary>Methods earned so far, carried into the session when the last stage passes.</summary>
    public List<AuthMethod> Methods { get; set; } = [];
    /// <summary>
    /// The user's security stamp when the proof was made: a password reset or change in the meantime ends
    /// the flow, so a login with the old password cannot finish its stages afterwards.
    /// </summary>
    public string? Stamp { get; set; }
    /// <summary>Each stage's own state, by stage id.</summary>
    public Dictionary<string, StageState> StageStates { get; set; } = [];

    [JsonIgnore]
    public string? CurrentStage => Stages.Count > 0 ? Stages[0] : null;

    /// <summary>The state of stage <paramref name="id"/>, created empty on first use.</summary>
    public StageState StateOf(string id)
    {
        if (!StageStates.TryGetValue(id, out var state))
        {
            StageStates[id] = state = new StageState();
        }
        return state;
    }
}

/// <summary>What one stage remembers between requests. Stages added later keep their own fields in <see cref="Extra"/>.</summary>
public sealed class StageState
{
    /// <summary>Key of the <see cref="Security.CodeChallenges">code challenge</see> this stage waits for.</summary>
    public string? Challenge { get; set; }
    /// <summary>The stage's code was accepted once (a password reset by code asks for it on GET and on POST).</summary>
    public bool Confirmed { get; set; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; set; }
}

/// <summary>What MFA set-up keeps between requests of a logged-in session; every value sealed (SecretBox).</summary>
public sealed class MfaSessionState
{
    /// <summary>The TOTP secret last offered for activation (base32, sealed).</summary>
    public string? TotpSecret { get; set; }
    /// <summary>
    /// Recovery codes generated with the first authenticator, shown once by GET recovery-codes (only their
    /// HMACs are stored, so this is the one place they can still be read; sealed, dropped once shown).
    /// </summary>
    public string? UnshownRecoveryCodes { get; set; }
}

/// <summary>An address of the logged-in user and the code challenge that verifies it.</summary>
public sealed class AddressVerification
{
    public required string Email { get; set; }
    public required string Challenge { get; set; }
    public DateTime ExpiresAt { get; set; }
}

public static class FlowIds
{
    public const string VerifyEmail = "verify_email";
    public const string LoginByCode = "login_by_code";
    public const string PasswordResetByCode = "password_reset_by_code";
    public const string MfaAuthenticate = "mfa_authenticate";
    public const string MfaReauthenticate = "mfa_reauthenticate";
    public const string MfaTrust = "mfa_trust";
    /// <summary>Ours: a staff account must set up a second factor before its login completes (Gatehouse:Mfa:RequiredForStaff).</summary>
    public const string MfaSetup = "mfa_setup";
    public const string MfaLoginWebAuthn = "mfa_login_webauthn";
    public const string MfaSignupWebAuthn = "mfa_signup_webauthn";
}
