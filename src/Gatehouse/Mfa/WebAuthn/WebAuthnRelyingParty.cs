using System.Text.Json;
using Fido2NetLib;
using Fido2NetLib.Objects;
using Gatehouse.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Mfa.WebAuthn;

/// <summary>
/// The relying party: options and verification through Fido2 (fido2-net-lib), which implements the W3C
/// WebAuthn Level 3 registration (section 7.1) and assertion (section 7.2) steps: challenge, origin, rp id
/// hash, user presence and verification flags, attestation statement ("none", "packed", ...), signature and
/// signature counter. Nothing of that is written here. Verification is pure computation over what the
/// caller loaded; every database decision (whose credential, its stored key and counter) is the caller's.
/// </summary>
public sealed partial class WebAuthnRelyingParty
{
    private readonly Fido2 _fido2;
    private readonly ILogger<WebAuthnRelyingParty> _logger;

    /// <summary>How long a ceremony's options stay answerable (also the timeout the browser is given).</summary>
    public static readonly TimeSpan CeremonyLifetime = TimeSpan.FromMinutes(5);

    public WebAuthnRelyingParty(IOptions<MfaOptions> options, IOptions<EmailOptions> email, IOptions<FrontendOptions> frontend, ILogger<WebAuthnRelyingParty> logger)
    {
        var mfa = options.Value;
        var rpId = mfa.WebAuthnRpId ?? "localhost";
        var name = mfa.WebAuthnRpName is { Length: > 0 } configured ? configured
            : email.Value.SiteName ?? (frontend.Value.BaseUrl is { } baseUrl && Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) ? uri.Authority : rpId);
        _fido2 = new Fido2(new Fido2Configuration
        {
            RPID = rpId,
            RPName = name,
            Origins = new HashSet<string>(mfa.WebAuthnOrigins, StringComparer.OrdinalIgnoreCase),
            Timeout = (uint)CeremonyLifetime.TotalMilliseconds,
        });
        _logger = logger;
    }

    /// <summary>
    /// Creation options (allauth's begin_registration): resident key and user verification required for a
    /// passkey, discouraged for a second-factor key; the user's credentials excluded; credProps asked for, so
    /// the answer says whether a resident key was made.
    /// </summary>
    public CredentialCreateOptions BeginRegistration(Fido2User user, IEnumerable<byte[]> existing, bool passwordless) =>
        _fido2.RequestNewCredential(new RequestNewCredentialParams
        {
            User = user,
            ExcludeCredentials = existing.Select(id => new PublicKeyCredentialDescriptor(id)).ToList(),
            AuthenticatorSelection = new AuthenticatorSelection
            {
                ResidentKey = passwordless ? ResidentKeyRequirement.Required : ResidentKeyRequirement.Discouraged,
                UserVerification = passwordless ? UserVerificationRequirement.Required : UserVerificationRequirement.Discouraged,
            },
            AttestationPreference = AttestationConveyancePreference.None,
            Extensions = new AuthenticationExtensionsClientInputs { CredProps = true },
        });

    /// <summary>
    /// Request options (allauth's begin_authentication): the user's credentials when the user is known (second
    /// factor, reauthentication), none for a passkey login, where the browser offers discoverable credentials.
    /// </summary>
    public AssertionOptions BeginAssertion(IEnumerable<byte[]> allowed, UserVerificationRequirement userVerification) =>
        _fido2.GetAssertionOptions(new GetAssertionOptionsParams
        {
            AllowedCredentials = allowed.Select(id => new PublicKeyCredentialDescriptor(id)).ToList(),
            UserVerification = userVerification,
        });

    /// <summary>Verifies a registration answer (W3C 7.1) against the options handed out; null when it does not verify.</summary>
    public async Task<RegisteredPublicKeyCredential?> CompleteRegistrationAsync(JsonElement credential, string optionsJson, CancellationToken ct)
    {
        try
        {
            var raw = credential.Deserialize<AuthenticatorAttestationRawResponse>();
            if (raw?.Response is null || raw.RawId is null)
            {
                return null;
            }
            return await _fido2.MakeNewCredentialAsync(new MakeNewCredentialParams
            {
                AttestationResponse = raw,
                OriginalOptions = CredentialCreateOptions.FromJson(optionsJson),
                // Uniqueness across all users is the caller's (a query and the unique index), not a callback's.
                IsCredentialIdUniqueToUserCallback = static (_, _) => Task.FromResult(true),
            }, ct);
        }
        catch (Exception ex) when (IsRejection(ex, ct))
        {
            Log.Rejected(_logger, "registration", Reason(ex));
            return null;
        }
    }

    /// <summary>Reads an assertion answer far enough to find its credential id and user handle; null when malformed.</summary>
    public AuthenticatorAssertionRawResponse? ParseAssertion(JsonElement credential)
    {
        try
        {
            var raw = credential.Deserialize<AuthenticatorAssertionRawResponse>();
            return raw?.Response is { AuthenticatorData: not null, Signature: not null, ClientDataJson: not null } && raw.RawId is { Length: > 0 } ? raw : null;
        }
        catch (Exception ex) when (IsRejection(ex, CancellationToken.None))
        {
            Log.Rejected(_logger, "assertion", Reason(ex));
            return null;
        }
    }

    /// <summary>
    /// Verifies an assertion (W3C 7.2) with the stored public key and counter of the credential the caller
    /// looked up; null when it does not verify (wrong challenge, origin, rp id, flags, signature, or a counter
    /// that did not grow).
    /// </summary>
    public async Task<VerifyAssertionResult?> CompleteAssertionAsync(
        AuthenticatorAssertionRawResponse raw, string optionsJson, byte[] publicKey, uint storedCounter, byte[] userHandle, CancellationToken ct)
    {
        try
        {
            return await _fido2.MakeAssertionAsync(new MakeAssertionParams
            {
                AssertionResponse = raw,
                OriginalOptions = AssertionOptions.FromJson(optionsJson),
                StoredPublicKey = publicKey,
                StoredSignatureCounter = storedCounter,
                // Step 6: a user handle in the answer must be the one this credential was created with.
                IsUserHandleOwnerOfCredentialIdCallback = (p, _) => Task.FromResult(
                    System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(p.UserHandle, userHandle)),
            }, ct);
        }
        catch (Exception ex) when (IsRejection(ex, ct))
        {
            Log.Rejected(_logger, "assertion", Reason(ex));
            return null;
        }
    }

    /// <summary>
    /// Everything the library throws while reading and verifying the client's bytes is a rejection of those
    /// bytes: besides its own Fido2VerificationException, malformed input surfaces as CBOR, JSON, format,
    /// argument, crypto and range exceptions from deep inside the parser. Verification does no I/O (the
    /// callbacks above are pure), so no database or network failure is hidden by this; cancellation is not caught.
    /// </summary>
    private static bool IsRejection(Exception ex, CancellationToken ct) => ex is not OperationCanceledException || !ct.IsCancellationRequested;

    /// <summary>The library's error code or the exception's type: never the message, which may quote client input.</summary>
    private static string Reason(Exception ex) =>
        ex is Fido2VerificationException fido ? fido.Code.ToString() : ex.GetType().Name;

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "WebAuthn {Ceremony} answer rejected ({Reason})")]
        public static partial void Rejected(ILogger logger, string ceremony, string reason);
    }
}
