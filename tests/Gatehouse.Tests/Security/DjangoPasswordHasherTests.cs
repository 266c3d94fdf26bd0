using System.Buffers.Binary;
using System.Security.Cryptography;
using Gatehouse.Security.Passwords;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Gatehouse.Tests.Security;

public sealed class DjangoPasswordHasherTests
{
    private const int TestIterations = 1000;

    // make_password("lètmein", "seasalt", "pbkdf2_sha256") from Django's tests/auth_tests/test_hashers.py
    // (test_pbkdf2) at the default iteration count of Django 4.1 (390000), 4.2 (600000) and 5.2 (1000000).
    public static TheoryData<string> DjangoVectors => new()
    {
        "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=",
        "pbkdf2_sha256$600000$seasalt$OAXyhAQ/4ZDA9V5RMExt3C1OwQdUpLZ99vm1McFlLRA=",
        "pbkdf2_sha256$1000000$seasalt$r1uLUxoxpP2Ued/qxvmje7UH9PUJBkRrvf9gGPL7Cps=",
    };

    [Theory]
    [MemberData(nameof(DjangoVectors))]
    public void Verify_DjangoTestVector_Succeeds(string encoded)
    {
        Assert.NotEqual(PasswordVerificationResult.Failed, DjangoPasswordHasher.Verify("lètmein", encoded, 1_000_000));
    }

    [Fact]
    public void Verify_DjangoTestVectorWithWrongPassword_Fails()
    {
        Assert.Equal(
            PasswordVerificationResult.Failed,
            DjangoPasswordHasher.Verify("lètmeinz", "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=", 390000));
    }

    [Fact]
    public void Encode_WithDjangosSaltAndIterations_ProducesDjangosExactString()
    {
        Assert.Equal(
            "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=",
            DjangoPasswordHasher.Encode("lètmein", "seasalt", 390000));
    }

    [Fact]
    public void Verify_DjangoVectorWithWeakSalt_NeedsRehashEvenAtCurrentIterations()
    {
        // "seasalt" carries far less than Django's 128 bits of salt entropy; Django's must_update says yes.
        Assert.Equal(
            PasswordVerificationResult.SuccessRehashNeeded,
            DjangoPasswordHasher.Verify("lètmein", "pbkdf2_sha256$390000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=", 390000));
    }

    [Fact]
    public void Hash_ProducesDjangoFormatWithTwentyTwoCharacterSalt()
    {
        string encoded = DjangoPasswordHasher.Hash("correct horse", TestIterations);

        Assert.Matches(@"^pbkdf2_sha256\$1000\$[a-zA-Z0-9]{22}\$[A-Za-z0-9+/]{43}=$", encoded);
    }

    [Fact]
    public void Hash_SamePasswordTwice_UsesDifferentSalts()
    {
        Assert.NotEqual(DjangoPasswordHasher.Hash("correct horse", TestIterations), DjangoPasswordHasher.Hash("correct horse", TestIterations));
    }

    [Fact]
    public void Verify_OwnHashAtCurrentIterations_Succeeds()
    {
        string encoded = DjangoPasswordHasher.Hash("correct horse", TestIterations);

        Assert.Equal(PasswordVerificationResult.Success, DjangoPasswordHasher.Verify("correct horse", encoded, TestIterations));
    }

    [Fact]
    public void Verify_WrongPassword_Fails()
    {
        string encoded = DjangoPasswordHasher.Hash("correct horse", TestIterations);

        Assert.Equal(PasswordVerificationResult.Failed, DjangoPasswordHasher.Verify("correct horsf", encoded, TestIterations));
    }

    [Fact]
    public void Verify_HashWithFewerIterationsThanConfigured_SucceedsButNeedsRehash()
    {
        string encoded = DjangoPasswordHasher.Hash("correct horse", TestIterations);

        Assert.Equal(PasswordVerificationResult.SuccessRehashNeeded, DjangoPasswordHasher.Verify("correct horse", encoded, TestIterations * 2));
    }

    [Fact]
    public void Verify_HashWithMoreIterationsThanConfigured_SucceedsWithoutRehash()
    {
        string encoded = DjangoPasswordHasher.Hash("correct horse", TestIterations * 2);

        Assert.Equal(PasswordVerificationResult.Success, DjangoPasswordHasher.Verify("correct horse", encoded, TestIterations));
    }

    [Theory]
    [InlineData("")]
    [InlineData("!")]
    [InlineData("!abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN")]
    [InlineData("pbkdf2_sha256$")]
    [InlineData("pbkdf2_sha256$1000$salt")]
    [InlineData("pbkdf2_sha256$1000$salt$")]
    [InlineData("pbkdf2_sha256$abc$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=")]
    [InlineData("pbkdf2_sha256$0$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=")]
    [InlineData("pbkdf2_sha256$-1$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=")]
    [InlineData("pbkdf2_sha256$99999999999$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=")]
    [InlineData("pbkdf2_sha256$1000$$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=")]
    [InlineData("pbkdf2_sha256$1000$seasalt$not base64!")]
    [InlineData("pbkdf2_sha256$1000$seasalt$AAAA")]
    [InlineData("pbkdf2_sha256$1000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=$extra")]
    [InlineData("pbkdf2_sha1$1000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=")]
    [InlineData("bcrypt$$2b$12$abcdefghijklmnopqrstuv")]
    [InlineData("$$$")]
    [InlineData("not a hash at all")]
    [InlineData("AA==")]
    [InlineData("AQ==")]
    [InlineData("Ag==")]
    public void Verify_UnusableOrMalformedHash_FailsWithoutThrowing(string encoded)
    {
        Assert.Equal(PasswordVerificationResult.Failed, DjangoPasswordHasher.Verify("lètmein", encoded, TestIterations));
    }

    [Fact]
    public void Verify_NonCanonicalIterationCount_Fails()
    {
        // Django compares the re-encoded string, so "01000" never matched there either.
        string encoded = DjangoPasswordHasher.Hash("correct horse", TestIterations).Replace("$1000$", "$01000$", StringComparison.Ordinal);

        Assert.Equal(PasswordVerificationResult.Failed, DjangoPasswordHasher.Verify("correct horse", encoded, TestIterations));
    }

    [Fact]
    public void Verify_AbsurdIterationCount_FailsWithoutHashing()
    {
        // 60 million iterations would pin a hashing thread for tens of seconds: refused before deriving.
        PasswordVerificationResult result = DjangoPasswordHasher.Verify(
            "lètmein", "pbkdf2_sha256$60000000$seasalt$8xBlGd3jVgvJ+92hWPxi5ww0uuAuAnKgC45eudxro7c=", TestIterations, out int cost);

        Assert.Equal(PasswordVerificationResult.Failed, result);
        Assert.Equal(0, cost);
    }

    [Fact]
    public void Verify_ReportsTheIterationsItDerived_ForRightAndWrongPasswords()
    {
        string encoded = DjangoPasswordHasher.Hash("correct horse", 1234);

        DjangoPasswordHasher.Verify("correct horse", encoded, TestIterations, out int right);
        DjangoPasswordHasher.Verify("wrong horse", encoded, TestIterations, out int wrong);

        Assert.Equal(1234, right);
        Assert.Equal(1234, wrong);
    }

    [Fact]
    public void Verify_AspNetIdentityHashes_ReportTheirOwnIterationCount()
    {
        var v3 = new PasswordHasher<object>(Options.Create(new PasswordHasherOptions { IterationCount = 2345 }));
        var v2 = new PasswordHasher<object>(Options.Create(new PasswordHasherOptions { CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV2 }));

        DjangoPasswordHasher.Verify("wrong horse", v3.HashPassword(new object(), "correct horse"), TestIterations, out int v3Cost);
        DjangoPasswordHasher.Verify("wrong horse", v2.HashPassword(new object(), "correct horse"), TestIterations, out int v2Cost);

        Assert.Equal(2345, v3Cost);
        Assert.Equal(1000, v2Cost); // Identity v2 is PBKDF2-HMAC-SHA1 at a fixed 1,000 iterations
    }

    [Fact]
    public void Verify_AspNetIdentityV3Hash_SucceedsAndNeedsRehash()
    {
        string encoded = new PasswordHasher<object>().HashPassword(new object(), "correct horse");

        Assert.Equal(PasswordVerificationResult.SuccessRehashNeeded, DjangoPasswordHasher.Verify("correct horse", encoded, TestIterations));
        Assert.Equal(PasswordVerificationResult.Failed, DjangoPasswordHasher.Verify("correct horsf", encoded, TestIterations));
    }

    [Fact]
    public void Verify_AspNetIdentityV2Hash_SucceedsAndNeedsRehash()
    {
        var v2 = new PasswordHasher<object>(Options.Create(new PasswordHasherOptions { CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV2 }));
        string encoded = v2.HashPassword(new object(), "correct horse");

        Assert.Equal(PasswordVerificationResult.SuccessRehashNeeded, DjangoPasswordHasher.Verify("correct horse", encoded, TestIterations));
        Assert.Equal(PasswordVerificationResult.Failed, DjangoPasswordHasher.Verify("correct horsf", encoded, TestIterations));
    }

    [Fact]
    public void Verify_AspNetIdentityV3HashWithAbsurdIterationCount_FailsWithoutHashing()
    {
        // Identity v3 layout: marker, PRF, iteration count, salt length (big-endian uint32s), salt, subkey.
        byte[] payload = new byte[13 + 16 + 32];
        payload[0] = 0x01;
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(1), 1);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(5), 400_000_000);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(9), 16);
        RandomNumberGenerator.Fill(payload.AsSpan(13));

        PasswordVerificationResult result = DjangoPasswordHasher.Verify("correct horse", Convert.ToBase64String(payload), TestIterations, out int cost);

        Assert.Equal(PasswordVerificationResult.Failed, result);
        Assert.Equal(0, cost);
    }

    [Fact]
    public void UnusablePassword_IsBangAndFortyRandomCharactersAndNeverVerifies()
    {
        string unusable = DjangoPasswordHasher.UnusablePassword();

        Assert.Matches("^![a-zA-Z0-9]{40}$", unusable);
        Assert.NotEqual(unusable, DjangoPasswordHasher.UnusablePassword());
        Assert.False(DjangoPasswordHasher.IsUsable(unusable));
        Assert.Equal(PasswordVerificationResult.Failed, DjangoPasswordHasher.Verify(unusable, unusable, TestIterations));
    }

    [Fact]
    public void IsUsable_NullOrEmpty_IsFalseAndARealHashIsTrue()
    {
        Assert.False(DjangoPasswordHasher.IsUsable(null));
        Assert.False(DjangoPasswordHasher.IsUsable(""));
        Assert.True(DjangoPasswordHasher.IsUsable(DjangoPasswordHasher.Hash("x", TestIterations)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(50_000_001)]
    public void Hash_IterationCountOutOfRange_Throws(int iterations)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DjangoPasswordHasher.Hash("x", iterations));
    }
}
