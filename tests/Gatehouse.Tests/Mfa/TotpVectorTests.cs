using Gatehouse.Configuration;
using Gatehouse.Mfa.Totp;
using Gatehouse.Security;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OtpNet;

namespace Gatehouse.Tests.Mfa;

/// <summary>The TOTP library and our use of it against RFC 6238's own test vectors (Appendix B, SHA-1).</summary>
public sealed class TotpVectorTests
{
    // RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890"; codes have 8 digits.
    private static readonly string Seed = Base32Encoding.ToString("12345678901234567890"u8.ToArray());

    public static TheoryData<long, string> Vectors => new()
    {
        { 59, "94287082" },
        { 1111111109, "07081804" },
        { 1111111111, "14050471" },
        { 1234567890, "89005924" },
        { 2000000000, "69279037" },
        { 20000000000, "65353130" },
    };

    [Theory, MemberData(nameof(Vectors))]
    public void OtpNet_ComputesTheRfc6238Sha1Vectors(long unixSeconds, string expected)
    {
        var totp = new OtpNet.Totp("12345678901234567890"u8.ToArray(), step: 30, mode: OtpHashMode.Sha1, totpSize: 8);
        Assert.Equal(expected, totp.ComputeTotp(DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime));
    }

    [Theory, MemberData(nameof(Vectors))]
    public void TheAuthenticator_AcceptsTheVectorAtItsTime_AndNamesItsStep(long unixSeconds, string expected)
    {
        var (authenticator, _) = Authenticator(unixSeconds, tolerance: 0);

        Assert.Equal(unixSeconds / 30, authenticator.MatchingStep(Seed, expected));
    }

    [Theory, MemberData(nameof(Vectors))]
    public void TheAuthenticator_AcceptsOneStepEitherSide_AndNotTwo(long unixSeconds, string expected)
    {
        var (authenticator, clock) = Authenticator(unixSeconds, tolerance: 1);

        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(unixSeconds / 30, authenticator.MatchingStep(Seed, expected));
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Null(authenticator.MatchingStep(Seed, expected));
    }

    [Theory]
    [InlineData("9428708")]
    [InlineData("942870822")]
    [InlineData("9428708a")]
    [InlineData("")]
    public void TheAuthenticator_RefusesCodesOfTheWrongShape(string code)
    {
        var (authenticator, _) = Authenticator(59, tolerance: 1);

        Assert.Null(authenticator.MatchingStep(Seed, code));
    }

    [Fact]
    public void TheOtpauthUrl_IsAllauths_WithTheConfiguredIssuer()
    {
        var (authenticator, _) = Authenticator(59, tolerance: 1, issuer: "Acme Inc");

        var url = authenticator.Url("alice@example.com", "JBSWY3DPEHPK3PXP", "site.example");

        Assert.Equal("otpauth://totp/alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Acme%20Inc&digits=8", url);
    }

    private static (TotpAuthenticator, FakeTimeProvider) Authenticator(long unixSeconds, int tolerance, string issuer = "")
    {
        var clock = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(unixSeconds));
        var options = Options.Create(new MfaOptions { TotpDigits = 8, TotpTolerance = tolerance, TotpIssuer = issuer });
        var box = new SecretBox(new byte[32]);
        // MatchingStep and Url touch no database.
        return (new TotpAuthenticator(null!, box, clock, options), clock);
    }
}
