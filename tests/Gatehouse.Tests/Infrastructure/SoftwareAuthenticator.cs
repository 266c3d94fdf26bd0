using System.Buffers.Binary;
using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// A WebAuthn authenticator in software, answering the options the server hands out exactly as a browser with
/// <c>@github/webauthn-json</c> would post them: a real P-256 key, a real attestationObject (fmt "none", COSE key
/// in CBOR, W3C WebAuthn section 6.5) and real assertions (authenticatorData and an ES256 signature over it and the
/// client data's hash, section 6.3.3). Knobs let a test forge what an attacker or a broken client would send.
/// </summary>
public sealed class SoftwareAuthenticator : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public byte[] CredentialId { get; } = RandomNumberGenerator.GetBytes(32);
    public string CredentialIdText => Base64Url(CredentialId);
    /// <summary>The signature counter; each assertion adds one first (set it back to forge a cloned authenticator).</summary>
    public uint Counter { get; set; }
    /// <summary>The user handle the credential was created for (a discoverable credential answers with it).</summary>
    public byte[]? UserHandle { get; set; }
    public string Origin { get; set; } = "https://localhost";
    /// <summary>The rp id whose hash goes into authenticatorData (override to forge another relying party).</summary>
    public string? RpIdOverride { get; set; }
    /// <summary>Whether the user-verified flag is set.</summary>
    public bool UserVerified { get; set; } = true;
    /// <summary>Whether the client reports credProps.rk (a resident key) on creation.</summary>
    public bool? ResidentKey { get; set; } = true;

    /// <summary>Answers <c>data.creation_options</c> (its <c>publicKey</c>) with a new credential.</summary>
    public JsonElement Create(JsonElement creationOptions, string? challengeOverride = null)
    {
        var options = creationOptions.GetProperty("publicKey");
        var rpId = RpIdOverride ?? options.GetProperty("rp").GetProperty("id").GetString()!;
        UserHandle = FromBase64Url(options.GetProperty("user").GetProperty("id").GetString()!);
        var clientData = ClientData("webauthn.create", challengeOverride ?? options.GetProperty("challenge").GetString()!);

        var parameters = _key.ExportParameters(false);
        var cose = new CborWriter(CborConformanceMode.Ctap2Canonical);
        cose.WriteStartMap(5);
        cose.WriteInt32(1); cose.WriteInt32(2);     // kty: EC2
        cose.WriteInt32(3); cose.WriteInt32(-7);    // alg: ES256
        cose.WriteInt32(-1); cose.WriteInt32(1);    // crv: P-256
        cose.WriteInt32(-2); cose.WriteByteString(parameters.Q.X!);
        cose.WriteInt32(-3); cose.WriteByteString(parameters.Q.Y!);
        cose.WriteEndMap();

        var credentialIdLength = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(credentialIdLength, (ushort)CredentialId.Length);
        // Flags: UP (0x01), UV (0x04), AT (0x40): attested credential data follows.
        byte[] authData = [.. SHA256.HashData(Encoding.UTF8.GetBytes(rpId)), (byte)(0x41 | (UserVerified ? 0x04 : 0)), .. CounterBytes(Counter),
            .. new byte[16], .. credentialIdLength, .. CredentialId, .. cose.Encode()];

        var attestation = new CborWriter(CborConformanceMode.Ctap2Canonical);
        attestation.WriteStartMap(3);
        attestation.WriteTextString("fmt"); attestation.WriteTextString("none");
        attestation.WriteTextString("attStmt"); attestation.WriteStartMap(0); attestation.WriteEndMap();
        attestation.WriteTextString("authData"); attestation.WriteByteString(authData);
        attestation.WriteEndMap();

        object extensions = ResidentKey is { } rk ? new { credProps = new { rk } } : new { };
        return JsonSerializer.SerializeToElement(new
        {
            id = CredentialIdText,
            rawId = CredentialIdText,
            type = "public-key",
            authenticatorAttachment = "platform",
            response = new
            {
                clientDataJSON = Base64Url(clientData),
                attestationObject = Base64Url(attestation.Encode()),
                transports = new[] { "internal" },
            },
            clientExtensionResults = extensions,
        });
    }

    /// <summary>Answers <c>data.request_options</c> (its <c>publicKey</c>) with a signed assertion.</summary>
    public JsonElement Get(JsonElement requestOptions, string? challengeOverride = null, byte[]? userHandleOverride = null)
    {
        var options = requestOptions.GetProperty("publicKey");
        var rpId = RpIdOverride ?? options.GetProperty("rpId").GetString()!;
        var clientData = ClientData("webauthn.get", challengeOverride ?? options.GetProperty("challenge").GetString()!);
        Counter++;
        byte[] authData = [.. SHA256.HashData(Encoding.UTF8.GetBytes(rpId)), (byte)(0x01 | (UserVerified ? 0x04 : 0)), .. CounterBytes(Counter)];
        var signature = _key.SignData([.. authData, .. SHA256.HashData(clientData)], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var handle = userHandleOverride ?? UserHandle;
        return JsonSerializer.SerializeToElement(new
        {
            id = CredentialIdText,
            rawId = CredentialIdText,
            type = "public-key",
            authenticatorAttachment = "platform",
            response = new
            {
                clientDataJSON = Base64Url(clientData),
                authenticatorData = Base64Url(authData),
                signature = Base64Url(signature),
                userHandle = handle is null ? null : Base64Url(handle),
            },
            clientExtensionResults = new { },
        });
    }

    private byte[] ClientData(string type, string challenge) =>
        JsonSerializer.SerializeToUtf8Bytes(new { type, challenge, origin = Origin, crossOrigin = false });

    private static byte[] CounterBytes(uint counter)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, counter);
        return bytes;
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s + new string('=', (4 - s.Length % 4) % 4));
    }

    public void Dispose() => _key.Dispose();
}
