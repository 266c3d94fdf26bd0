using System.Security.Cryptography;
using System.Text;
using Gatehouse.Security;

namespace Gatehouse.Tests.Security;

public sealed class SecretBoxTests
{
    private static readonly byte[] OldKey = Enumerable.Range(0, 32).Select(i => (byte)(i + 1)).ToArray();
    private static readonly byte[] NewKey = Enumerable.Range(0, 32).Select(i => (byte)(200 - i)).ToArray();

    [Fact]
    public void Seal_ThenOpen_ForTheSamePurposeAndBinding_GivesThePlaintext()
    {
        var box = new SecretBox(NewKey);

        var sealedText = box.Seal("reset: https://app/k/abc", "outbox.text_body", "alice@example.com");

        Assert.Matches("^gh1:[A-Za-z0-9_-]{11}:[A-Za-z0-9+/=]+$", sealedText);
        Assert.DoesNotContain("reset", sealedText, StringComparison.Ordinal);
        Assert.Equal("reset: https://app/k/abc", box.Open(sealedText, "outbox.text_body", "alice@example.com"));
    }

    [Theory]
    [InlineData("outbox.text_body", "mallory@example.com")] // moved into a row addressed to someone else
    [InlineData("outbox.html_body", "alice@example.com")] // moved into another column
    [InlineData("outbox.text_body", "Alice@example.com")] // bindings are exact
    [InlineData("outbox.text_bod", "yalice@example.com")] // the boundary between purpose and binding counts
    public void AValueSealedForOneRowAndPurpose_DoesNotOpenForAnother(string purpose, string binding)
    {
        var box = new SecretBox(NewKey);
        var sealedText = box.Seal("reset: https://app/k/abc", "outbox.text_body", "alice@example.com");

        Assert.ThrowsAny<CryptographicException>(() => box.Open(sealedText, purpose, binding));
    }

    [Fact]
    public void TheKeyId_NamesTheKey_AndIsNotTheKey()
    {
        var oldId = KeyId(new SecretBox(OldKey).Seal("x", "p", "b"));

        Assert.Equal(oldId, KeyId(new SecretBox(OldKey).Seal("y", "q", "c")));
        Assert.NotEqual(oldId, KeyId(new SecretBox(NewKey).Seal("x", "p", "b")));
        Assert.DoesNotContain(oldId, Convert.ToBase64String(OldKey), StringComparison.Ordinal);
    }

    [Fact]
    public void AfterRotation_AValueSealedUnderTheOldKey_OpensWhenTheOldKeyIsListed_AndNewValuesUseTheNewKey()
    {
        var sealedBefore = new SecretBox(OldKey).Seal("mail body", "outbox.text_body", "alice@example.com");
        var rotated = new SecretBox(NewKey, OldKey);

        Assert.Equal("mail body", rotated.Open(sealedBefore, "outbox.text_body", "alice@example.com"));
        var sealedAfter = rotated.Seal("mail body", "outbox.text_body", "alice@example.com");
        Assert.Equal(KeyId(new SecretBox(NewKey).Seal("x", "p", "b")), KeyId(sealedAfter));
        Assert.ThrowsAny<CryptographicException>(() => new SecretBox(OldKey).Open(sealedAfter, "outbox.text_body", "alice@example.com"));
    }

    [Fact]
    public void AfterRotation_AValueSealedUnderTheOldKey_FailsClosed_WhenTheOldKeyIsNotListed()
    {
        var sealedBefore = new SecretBox(OldKey).Seal("mail body", "outbox.text_body", "alice@example.com");

        var ex = Assert.ThrowsAny<CryptographicException>(() => new SecretBox(NewKey).Open(sealedBefore, "outbox.text_body", "alice@example.com"));

        Assert.Contains("Gatehouse:PreviousSecretKeys", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(OldKey), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AValueInTheFirstFormat_StillOpens_UnderTheCurrentOrAListedPreviousKey()
    {
        // What outbox rows written before values were bound hold: gh1:<base64>, no key id, no associated data.
        var legacy = LegacySeal(OldKey, "mail body");

        Assert.Equal("mail body", new SecretBox(OldKey).Open(legacy, "outbox.text_body", "alice@example.com"));
        Assert.Equal("mail body", new SecretBox(NewKey, OldKey).Open(legacy, "outbox.text_body", "alice@example.com"));
        Assert.ThrowsAny<CryptographicException>(() => new SecretBox(NewKey).Open(legacy, "outbox.text_body", "alice@example.com"));
    }

    [Fact]
    public void ABoundValue_StrippedOfItsKeyId_DoesNotOpenAsTheFirstFormat()
    {
        var box = new SecretBox(NewKey);
        var sealedText = box.Seal("mail body", "outbox.text_body", "alice@example.com");
        var stripped = "gh1:" + sealedText[(sealedText.LastIndexOf(':') + 1)..];

        Assert.ThrowsAny<CryptographicException>(() => box.Open(stripped, "outbox.text_body", "mallory@example.com"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain text")]
    [InlineData("gh1:")]
    [InlineData("gh1:not base64!")]
    [InlineData("gh1:AAAA")]
    [InlineData("gh1:unknownkid:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("gh1::AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Garbage_FailsWithACryptographicException_NeverAnotherKind(string value)
    {
        Assert.ThrowsAny<CryptographicException>(() => new SecretBox(NewKey).Open(value, "outbox.text_body", "alice@example.com"));
    }

    [Fact]
    public void AnAlteredCiphertext_FailsClosed()
    {
        var box = new SecretBox(NewKey);
        var sealedText = box.Seal("mail body", "outbox.text_body", "alice@example.com");
        var at = sealedText.LastIndexOf(':') + 30;
        var altered = sealedText[..at] + (sealedText[at] == 'A' ? 'B' : 'A') + sealedText[(at + 1)..];

        Assert.ThrowsAny<CryptographicException>(() => box.Open(altered, "outbox.text_body", "alice@example.com"));
    }

    private static string KeyId(string sealedText) => sealedText.Split(':')[1];

    /// <summary>The first format exactly as SecretBox wrote it before keys were named and values bound.</summary>
    private static string LegacySeal(byte[] secret, string plaintext)
    {
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, info: "gatehouse secret box v1"u8.ToArray());
        var data = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[12 + 16 + data.Length];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(output.AsSpan(0, 12), data, output.AsSpan(28), output.AsSpan(12, 16));
        return "gh1:" + Convert.ToBase64String(output);
    }
}
