using Gatehouse.Security.Passwords;
using Microsoft.Extensions.Options;

namespace Gatehouse.Tests.Security;

public sealed class PasswordValidatorTests
{
    private static readonly (string Name, string? Value)[] NoAttributes = [];

    private static PasswordValidator Validator(Action<PasswordOptions>? configure = null)
    {
        var options = new PasswordOptions();
        configure?.Invoke(options);
        return new PasswordValidator(Options.Create(options));
    }

    private static string[] Codes(IReadOnlyList<PasswordProblem> problems) => [.. problems.Select(problem => problem.Code)];

    [Fact]
    public void Validate_ShortNumericPassword_IsTooShortAndEntirelyNumeric()
    {
        IReadOnlyList<PasswordProblem> problems = Validator().Validate("123", NoAttributes);

        Assert.Equal(
            [
                new PasswordProblem("password_too_short", "This password is too short. It must contain at least 8 characters."),
                new PasswordProblem("password_entirely_numeric", "This password is entirely numeric."),
            ],
            problems);
    }

    [Fact]
    public void Validate_Password_IsTooCommon()
    {
        Assert.Equal([new PasswordProblem("password_too_common", "This password is too common.")], Validator().Validate("password", NoAttributes));
    }

    [Fact]
    public void Validate_12345678_IsTooCommonAndEntirelyNumeric()
    {
        Assert.Equal(["password_too_common", "password_entirely_numeric"], Codes(Validator().Validate("12345678", NoAttributes)));
    }

    [Fact]
    public void Validate_CommonPasswordWithCapitalsAndSpaces_IsStillTooCommon()
    {
        // Django lowercases and strips before the lookup.
        Assert.Equal(["password_too_common"], Codes(Validator().Validate("  PassWord ", NoAttributes)));
    }

    [Fact]
    public void Validate_PasswordLikeTheEmailAddress_IsTooSimilarToTheEmailAddress()
    {
        IReadOnlyList<PasswordProblem> problems = Validator().Validate("alice@example", [("email address", "alice@example.com")]);

        Assert.Equal([new PasswordProblem("password_too_similar", "The password is too similar to the email address.")], problems);
    }

    [Fact]
    public void Validate_SimilarToSeveralAttributes_NamesTheFirstAndComesBeforeOtherProblems()
    {
        IReadOnlyList<PasswordProblem> problems = Validator().Validate(
            "testclie",
            [("username", "testclient"), ("email address", "testclient@example.com")]);

        Assert.Equal(["password_too_similar"], Codes(problems));
        Assert.Equal("The password is too similar to the username.", problems[0].Message);

        IReadOnlyList<PasswordProblem> shortAndSimilar = Validator().Validate("zorblax", [("username", "zorblax")]);
        Assert.Equal(["password_too_similar", "password_too_short"], Codes(shortAndSimilar));
    }

    [Fact]
    public void Validate_AttributeWithNullOrEmptyValue_IsIgnored()
    {
        Assert.Empty(Validator().Validate("alice@example", [("email address", null), ("username", "")]));
    }

    [Fact]
    public void Validate_UnrelatedStrongPassword_HasNoProblems()
    {
        Assert.Empty(Validator().Validate("tuba-quartz-meadow-71", [("username", "alice"), ("email address", "alice@example.com")]));
    }

    [Fact]
    public void Validate_MinLengthOfOne_UsesTheSingularNoun()
    {
        IReadOnlyList<PasswordProblem> problems = Validator(o => o.MinLength = 1).Validate("", NoAttributes);

        Assert.Equal([new PasswordProblem("password_too_short", "This password is too short. It must contain at least 1 character.")], problems);
    }

    [Fact]
    public void Validate_ConfiguredMinLength_AppearsInTheMessage()
    {
        IReadOnlyList<PasswordProblem> problems = Validator(o => o.MinLength = 12).Validate("tuba-quartz", NoAttributes);

        Assert.Equal("This password is too short. It must contain at least 12 characters.", Assert.Single(problems).Message);
    }

    [Fact]
    public void Validate_LengthCountsCodePointsNotUtf16Units()
    {
        // Eight emoji are eight characters to Python (and Django), sixteen UTF-16 units to .NET.
        Assert.Empty(Validator().Validate(string.Concat(Enumerable.Repeat("😀", 8)), NoAttributes));
        Assert.Equal(["password_too_short"], Codes(Validator().Validate(string.Concat(Enumerable.Repeat("😀", 7)), NoAttributes)));
    }

    [Fact]
    public void Validate_ChecksSwitchedOff_ReportNothing()
    {
        PasswordValidator validator = Validator(o =>
        {
            o.RejectCommonPasswords = false;
            o.RejectNumericPasswords = false;
            o.RejectSimilarToUserAttributes = false;
        });

        Assert.Empty(validator.Validate("12345678", [("username", "12345678")]));
    }

    [Fact]
    public void Constructor_MaxSimilarityBelowDjangosMinimum_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => Validator(o => o.MaxSimilarity = 0.05));
    }

    [Fact]
    public void CommonPasswords_ShipsAtLeastTenThousandEntries()
    {
        Assert.True(CommonPasswords.Count >= 10_000, $"{CommonPasswords.Count} entries");
        Assert.True(CommonPasswords.Contains("12345678"));
        Assert.True(CommonPasswords.Contains("password"));
        Assert.False(CommonPasswords.Contains("tuba-quartz-meadow-71"));
    }

    [Theory]
    // Values from Python: difflib.SequenceMatcher(a=a, b=b).quick_ratio()
    [InlineData("abcd", "bcde", 0.75)]
    [InlineData("alice@example", "example", 0.7)]
    [InlineData("alice@example", "alice", 0.5555555555555556)]
    [InlineData("aab", "abb", 0.6666666666666666)]
    [InlineData("", "", 1.0)]
    public void QuickRatio_MatchesPythonDifflib(string a, string b, double expected)
    {
        Assert.Equal(expected, SequenceSimilarity.QuickRatio(SequenceSimilarity.CodePoints(a), SequenceSimilarity.CodePoints(b)), 12);
    }
}
