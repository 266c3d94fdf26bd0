using System.Text.Json;
using Gatehouse.Http;

namespace Gatehouse.Mfa;

// The MFA request bodies, as allauth's headless mfa/inputs.py declares them: each Read does all field reading and
// shape checks, records field errors on the JsonInput, and returns null when it recorded one. Renaming and removing
// a passkey pick ids that only the database can resolve, and allauth reports an unknown id in the same 400 as a bad
// name: those two readers return a partial record, and the flow adds the choice error before answering.

/// <summary>POST auth/2fa/authenticate, auth/2fa/reauthenticate and account/authenticators/totp: a TOTP or recovery code.</summary>
public sealed record MfaCodeInput(string Code)
{
    public const int MaxCodeLength = 64;

    public static MfaCodeInput? Read(JsonInput input)
    {
        var code = input.Text("code", maxLength: MaxCodeLength);
        return input.IsValid ? new MfaCodeInput(code!) : null;
    }
}

/// <summary>POST auth/2fa/trust: whether to trust this browser; absent means no.</summary>
public sealed record MfaTrustInput(bool Trust)
{
    public static MfaTrustInput? Read(JsonInput input)
    {
        var trust = input.Flag("trust", required: false) ?? false;
        return input.IsValid ? new MfaTrustInput(trust) : null;
    }
}

/// <summary>POST auth/webauthn/authenticate, login and reauthenticate: the browser's assertion, parsed later by the relying party.</summary>
public sealed record WebAuthnCredentialInput(JsonElement Credential)
{
    public const string Field = "credential";

    public static WebAuthnCredentialInput? Read(JsonInput input)
    {
        var credential = input.JsonObject(Field);
        return input.IsValid ? new WebAuthnCredentialInput(credential!.Value) : null;
    }
}

/// <summary>POST account/authenticators/webauthn and PUT auth/webauthn/signup: a new credential and an optional name.</summary>
public sealed record WebAuthnAddInput(string? Name, JsonElement Credential)
{
    public const int MaxNameLength = 100;

    public static WebAuthnAddInput? Read(JsonInput input)
    {
        var name = input.Text("name", required: false, maxLength: MaxNameLength);
        var credential = input.JsonObject(WebAuthnCredentialInput.Field);
        return input.IsValid ? new WebAuthnAddInput(name, credential!.Value) : null;
    }
}

/// <summary>PUT account/authenticators/webauthn: the id of one of the user's passkeys and its new name. Partial.</summary>
public sealed record WebAuthnRenameInput(long? Id, string? Name)
{
    public static WebAuthnRenameInput Read(JsonInput input)
    {
        var id = input.WholeNumber("id");
        var name = input.Text("name", maxLength: WebAuthnAddInput.MaxNameLength);
        return new WebAuthnRenameInput(id, name);
    }
}

/// <summary>DELETE account/authenticators/webauthn: a non-empty list of the user's passkey ids. Partial: null ids when refused.</summary>
public sealed record WebAuthnRemoveInput(IReadOnlyList<long>? Ids)
{
    public const int MaxIds = 100;

    public static WebAuthnRemoveInput Read(JsonInput input)
    {
        var ids = input.IdList("authenticators", maxCount: MaxIds);
        if (ids is { Count: 0 })
        {
            input.AddError(ApiError.Required("authenticators"));
            return new WebAuthnRemoveInput(Ids: null);
        }
        return new WebAuthnRemoveInput(ids);
    }
}
