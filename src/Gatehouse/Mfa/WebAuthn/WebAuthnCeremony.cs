using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gatehouse.Mfa.WebAuthn;

/// <summary>
/// A WebAuthn ceremony between its options (GET) and the authenticator's answer (POST/PUT), kept in the
/// session's state as allauth keeps python-fido2's state in the Django session. The challenge is single use:
/// <see cref="Challenge"/> names a code_challenges row that the accepting request consumes with a conditional
/// update, so an answer replayed after, or beside, the first is refused.
/// </summary>
public sealed class WebAuthnCeremony
{
    /// <summary>One of <see cref="WebAuthnPurposes"/>: an answer is only accepted by the endpoint that asked.</summary>
    public required string Purpose { get; set; }
    /// <summary>The options handed out (Fido2's JSON), which the answer is verified against.</summary>
    public required string Options { get; set; }
    /// <summary>Key of the code_challenges row that makes the challenge single use.</summary>
    public required string Challenge { get; set; }
    /// <summary>The user the ceremony is for (none for a passkey login, where the credential names its user).</summary>
    public long? UserId { get; set; }
    public DateTime ExpiresAt { get; set; }
}

public static class WebAuthnPurposes
{
    public const string Register = "register";
    public const string Authenticate = "authenticate";
    public const string Login = "login";
    public const string Reauthenticate = "reauthenticate";
    public const string Signup = "signup";
}

/// <summary>
/// The <c>data</c> JSON of a "webauthn" authenticator: what allauth's list shows (<c>name</c>, <c>passwordless</c>:
/// credProps.rk as the client reported it, or null) and what verifying an assertion needs (the COSE public key;
/// the signature counter lives in the <c>counter</c> column, the credential id in <c>credential_id</c>).
/// </summary>
internal sealed class WebAuthnData
{
    [JsonPropertyName("name")]
    public required string Name { get; set; }
    [JsonPropertyName("passwordless")]
    public bool? Passwordless { get; set; }
    /// <summary>COSE_Key, base64url.</summary>
    [JsonPropertyName("public_key")]
    public required string PublicKey { get; set; }
    /// <summary>The user handle the credential was created with (base64url): a passkey login must present it.</summary>
    [JsonPropertyName("user_handle")]
    public required string UserHandle { get; set; }
    [JsonPropertyName("aaguid")]
    public string? Aaguid { get; set; }
    [JsonPropertyName("transports")]
    public string[] Transports { get; set; } = [];
    [JsonPropertyName("attestation_format")]
    public string? AttestationFormat { get; set; }
    [JsonPropertyName("backup_eligible")]
    public bool BackupEligible { get; set; }
    [JsonPropertyName("backed_up")]
    public bool BackedUp { get; set; }

    public string Serialize() => JsonSerializer.Serialize(this);

    public static WebAuthnData? Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<WebAuthnData>(json);
        }
        catch (JsonException)
        {
            return null; // a row that is not ours to read (hand-edited, imported wrongly) verifies nothing
        }
    }
}
