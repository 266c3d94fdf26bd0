using System.Buffers.Binary;
using CsCheck;
using Gatehouse.RateLimiting;
using Gatehouse.Security.Passwords;
using Microsoft.AspNetCore.Identity;

namespace Gatehouse.Tests.Security;

/// <summary>
/// Property tests (CsCheck) for the two parsers that read text an operator or an attacker controls: the
/// stored password hash (a row of an imported database can hold anything) and the rate-limit syntax
/// (configuration). Iteration counts stay small so that every sample is cheap.
/// </summary>
public sealed class DjangoPasswordHasherProperties
{
    internal static Gen<string> Text(Gen<char> chars, int min, int max) => chars.Array[min, max].Select(a => new string(a));

    private const string Base64Chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

    // Near misses of pbkdf2_sha256$<iterations>$<salt>$<hash>: each piece either right or one of the
    // ways it goes wrong, so that the samples reach every check of the parser, not only the first.
    private static readonly Gen<string> DjangoLike = Gen.Select(
        Gen.OneOf("pbkdf2_sha256", "pbkdf2_sha1", "PBKDF2_SHA256", "", "argon2", "pbkdf2_sha256 "),
        Gen.OneOf(Gen.Int[1, 2000].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Gen.OneOf("0", "-1", "+5", "01000", " 10", "1e3", "abc", "", "99999999999", "60000000", "2147483648")),
        Text(Gen.Char["abcXYZ019$!é "], 0, 30),
        Gen.OneOf(Text(Gen.Char[Base64Chars], 0, 60), Gen.String),
        Gen.Int[2, 6])
        .Select((algorithm, iterations, salt, hash, pieces) =>
            string.Join('$', new[] { algorithm, iterations, salt, hash, "extra", "more" }.Take(pieces)));

    // ASP.NET Identity payloads: the marker, PRF, iteration count and salt length that its header
    // declares, over bodies of any length, base64-encoded as Identity stores them.
    private static readonly Gen<string> IdentityLike = Gen.Select(
        Gen.OneOf<byte>(0x00, 0x01, 0x02, 0xFF),
        Gen.UInt[0, 4],
        Gen.OneOf(Gen.UInt[0, 2000], Gen.OneOf(60_000_000u, uint.MaxValue)),
        Gen.OneOf(Gen.UInt[0, 64], Gen.OneOf(uint.MaxValue, 1u << 31)),
        Gen.Byte.Array[0, 96],
        Gen.OneOf(Gen.Const(int.MaxValue), Gen.Int[1, 20]))
        .Select((marker, prf, iterations, saltLength, body, cut) =>
        {
            var payload = new byte[13 + body.Length];
            payload[0] = marker;
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(1), prf);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(5), iterations);
            BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(9), saltLength);
            body.CopyTo(payload, 13);
            // Often whole, sometimes cut inside the header.
            return Convert.ToBase64String(payload, 0, Math.Min(payload.Length, cut));
        });

    [Fact]
    public void Verify_NeverThrows_AndNeverVerifies_ForAnyStoredString()
    {
        Gen.OneOf(Gen.String, DjangoLike, IdentityLike, Text(Gen.Char[Base64Chars], 0, 80)).Sample(stored =>
        {
            var result = DjangoPasswordHasher.Verify("correct horse", stored, 1000, out var cost);

            Assert.Equal(PasswordVerificationResult.Failed, result);
            Assert.InRange(cost, 0, 2000);
        }, iter: 2000);
    }

    [Fact]
    public void HashThenVerify_RoundTrips_ForAnyPassword_AndNoOtherPasswordVerifies()
    {
        Gen.Select(Gen.String, Gen.Int[1, 300], Gen.String[1, 5]).Sample((password, iterations, suffix) =>
        {
            var encoded = DjangoPasswordHasher.Hash(password, iterations);

            Assert.Equal(PasswordVerificationResult.Success, DjangoPasswordHasher.Verify(password, encoded, iterations, out var cost));
            Assert.Equal(iterations, cost);
            Assert.Equal(PasswordVerificationResult.SuccessRehashNeeded, DjangoPasswordHasher.Verify(password, encoded, iterations + 1));
            // Appending keeps UTF-8 distinct (a lone surrogate would not: it encodes as U+FFFD).
            if (!suffix.Any(char.IsSurrogate) && !password.Any(char.IsSurrogate))
            {
                Assert.Equal(PasswordVerificationResult.Failed, DjangoPasswordHasher.Verify(password + suffix, encoded, iterations));
            }
        }, iter: 300);
    }

    [Fact]
    public void Encode_WithAnySaltDjangoCouldStore_VerifiesAndAsksForARehashOnlyForAWeakSalt()
    {
        Gen.Select(Text(Gen.Char["abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"], 1, 40), Gen.Int[1, 300])
            .Sample((salt, iterations) =>
            {
                var encoded = DjangoPasswordHasher.Encode("correct horse", salt, iterations);

                var expected = salt.Length < 22 ? PasswordVerificationResult.SuccessRehashNeeded : PasswordVerificationResult.Success;
                Assert.Equal(expected, DjangoPasswordHasher.Verify("correct horse", encoded, iterations));
            }, iter: 300);
    }

    [Fact]
    public void AValidHash_WithAnyOneFieldChanged_IsRejected()
    {
        var gen = Gen.Select(Gen.Int[1, 300], Gen.Int[0, 3], Gen.Int[0, 41], Gen.Char[Base64Chars + "!$ "], Gen.Int[1, 300]);
        gen.Sample((iterations, field, position, replacement, otherIterations) =>
        {
            var parts = DjangoPasswordHasher.Hash("correct horse", iterations).Split('$');
            switch (field)
            {
                case 0:
                    parts[0] = "pbkdf2_sha1";
                    break;
                case 1:
                    parts[1] = (otherIterations == iterations ? iterations + 1 : otherIterations).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    break;
                case 2:
                    parts[2] = parts[2][..^1] + (parts[2][^1] == 'a' ? 'b' : 'a');
                    break;
                default:
                    // Not the last data character: two of its bits are padding, which base64 decoders ignore.
                    var hash = parts[3].ToCharArray();
                    hash[position] = hash[position] == replacement ? (replacement == 'A' ? 'B' : 'A') : replacement;
                    parts[3] = new string(hash);
                    break;
            }

            Assert.Equal(PasswordVerificationResult.Failed, DjangoPasswordHasher.Verify("correct horse", string.Join('$', parts), 300));
        }, iter: 500);
    }
}

public sealed class RateLimitSyntaxProperties
{
    private static readonly Gen<string> Per = Gen.OneOf("ip", "key", "user");
    private static readonly Gen<char> Unit = Gen.Char["smhd"];

    // Valid rules as an operator writes them: amount/period/per, a count before the unit or not, per left out.
    private static readonly Gen<(string Text, int Amount, long Seconds, string Per)> ValidRule = Gen.Select(
        Gen.Int[0, 100_000], Gen.OneOf(Gen.Const(0), Gen.Int[1, 300]), Unit, Gen.OneOf(Per, Gen.Const("")))
        .Select((amount, count, unit, per) =>
        {
            var seconds = (count == 0 ? 1 : count) * unit switch { 's' => 1L, 'm' => 60L, 'h' => 3600L, _ => 86400L };
            var period = (count == 0 ? "" : count.ToString(System.Globalization.CultureInfo.InvariantCulture)) + unit;
            var text = per.Length == 0 ? $"{amount}/{period}" : $"{amount}/{period}/{per}";
            return (text, amount, seconds, per.Length == 0 ? "ip" : per);
        });

    // Near misses: each piece of amount/period/per right or wrong in one of the ways it goes wrong, one to
    // four pieces, one to three rules; and loose characters of the syntax in any order.
    private static readonly Gen<string> Count = Gen.OneOf(
        Gen.Int[0, 1000].Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.OneOf("", "0", "-1", "+1", "1.5", " 5", "x", "99999999999", "2147483647"));
    private static readonly Gen<string> RuleLike = Gen.OneOf(
        Gen.Select(
            Count,
            Gen.OneOf(
                Gen.Select(Count, Gen.OneOf("s", "m", "h", "d", "", "x", "M")).Select((count, unit) => count + unit),
                Gen.OneOf("", "0m", "-1m", "+1m", "1.5m", "400d", "99999999999m")),
            Gen.OneOf(Per, Gen.OneOf("", "email", "IP", " ip")),
            Gen.Frequency((3, Gen.Const(3)), (1, Gen.Int[1, 4])))
            .Select((amount, period, per, pieces) => string.Join('/', new[] { amount, period, per, "extra" }.Take(pieces)))
            .Array[1, 3].Select(rules => string.Join(',', rules)),
        DjangoPasswordHasherProperties.Text(Gen.Char["0123456789/,smhdxipkeyuser -+."], 0, 30));

    [Fact]
    public void Parse_OfAnyString_EitherSucceedsOrThrowsFormatException()
    {
        Gen.OneOf(Gen.String, RuleLike).Sample(spec =>
        {
            try
            {
                RateLimiter.Parse(spec);
            }
            catch (FormatException)
            {
                // the only refusal start-up validation expects
            }
        }, iter: 5000);
    }

    [Fact]
    public void TryParse_OfAnyString_NeverThrows_AndEveryParsedWindowIsUsable()
    {
        Gen.OneOf(Gen.String, RuleLike).Sample(spec =>
        {
            if (RateLimiter.TryParse(spec, out var rules, out var error))
            {
                Assert.Null(error);
                Assert.All(rules, rule =>
                {
                    Assert.InRange(rule.PeriodSeconds, 1, 366L * 86400); // a window never divides by zero
                    Assert.True(rule.Amount >= 0);
                    Assert.Contains(rule.Per, new[] { "ip", "key", "user" });
                });
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(error));
            }
        }, iter: 5000);
    }

    [Fact]
    public void ValidSpecs_ParseToTheirRules_AndRoundTripThroughTheCanonicalForm()
    {
        ValidRule.Array[1, 5].Sample(rules =>
        {
            var spec = string.Join(", ", rules.Select(r => r.Text));

            var parsed = RateLimiter.Parse(spec);

            Assert.Equal(rules.Select(r => new RateLimiter.Rule(r.Amount, r.Seconds, r.Per)), parsed);
            Assert.Equal(parsed, RateLimiter.Parse(RateLimiter.Format(parsed)));
        }, iter: 2000);
    }

    [Theory]
    [InlineData("5//ip")] // an empty period
    [InlineData("5/0m/ip")] // a zero-length window
    [InlineData("5/-1m/ip")]
    [InlineData("5/+1m/ip")]
    [InlineData("5/99999999999m/ip")] // overflows an int
    [InlineData("5/400d/ip")] // more than a year
    [InlineData("5/1.5m/ip")] // allauth accepts fractions; windows here are whole seconds
    [InlineData("-5/m/ip")]
    [InlineData("5/m/email")]
    [InlineData("5/m/ip/extra")]
    [InlineData("5")]
    public void Parse_RefusesWithFormatException(string spec)
    {
        Assert.Throws<FormatException>(() => RateLimiter.Parse(spec));
    }
}
