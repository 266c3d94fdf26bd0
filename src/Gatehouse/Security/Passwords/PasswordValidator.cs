using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Gatehouse.Security.Passwords;

/// <summary>
/// Django's four default password validators with their codes and English messages, because allauth
/// clients show and match on them. Problems come in the order of Django's default
/// AUTH_PASSWORD_VALIDATORS (similarity, minimum length, common, numeric), and, like Django's
/// validate_password, every failing validator reports, not only the first.
/// </summary>
public sealed partial class PasswordValidator
{
    private readonly PasswordOptions _options;

    public PasswordValidator(IOptions<PasswordOptions> options)
    {
        _options = options.Value;
        if (_options.RejectSimilarToUserAttributes && _options.MaxSimilarity < 0.1)
        {
            // Django raises the same: below 0.1 nearly every password looks "similar".
            throw new InvalidOperationException(
                $"Gatehouse:Passwords:MaxSimilarity is {_options.MaxSimilarity.ToString(CultureInfo.InvariantCulture)}; set it to at least 0.1 (Django's default is 0.7).");
        }
    }

    /// <param name="userAttributes">Pairs of a human name, as it appears in the message ("email
    /// address", "username"), and the user's value, which may be null.</param>
    public IReadOnlyList<PasswordProblem> Validate(string password, IReadOnlyList<(string Name, string? Value)> userAttributes)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentNullException.ThrowIfNull(userAttributes);
        var problems = new List<PasswordProblem>();

        if (_options.RejectSimilarToUserAttributes && FindSimilarAttribute(password, userAttributes) is { } name)
        {
            problems.Add(new("password_too_similar", $"The password is too similar to the {name}."));
        }

        // Python's len() counts code points, not UTF-16 units: "😀😀😀😀" is four characters to Django.
        if (CountCodePoints(password) < _options.MinLength)
        {
            string noun = _options.MinLength == 1 ? "character" : "characters";
            problems.Add(new(
                "password_too_short",
                string.Create(CultureInfo.InvariantCulture, $"This password is too short. It must contain at least {_options.MinLength} {noun}.")));
        }

        if (_options.RejectCommonPasswords && password.Length > 0 && CommonPasswords.Contains(password))
        {
            problems.Add(new("password_too_common", "This password is too common."));
        }

        if (_options.RejectNumericPasswords && IsEntirelyNumeric(password))
        {
            problems.Add(new("password_entirely_numeric", "This password is entirely numeric."));
        }

        return problems;
    }

    /// <summary>
    /// Django's UserAttributeSimilarityValidator: the lowercased password against each lowercased
    /// attribute and each of its \W+-separated parts (so "alice" and "example" for an email address).
    /// </summary>
    private string? FindSimilarAttribute(string password, IReadOnlyList<(string Name, string? Value)> userAttributes)
    {
        int[] lowered = SequenceSimilarity.CodePoints(password.ToLowerInvariant());
        foreach ((string name, string? value) in userAttributes)
        {
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            string valueLower = value.ToLowerInvariant();
            // re.split(r"\W+", value_lower) + [value_lower]; empty edge parts are kept, as in Python.
            foreach (string part in NonWordRuns().Split(valueLower).Append(valueLower))
            {
                int[] partCodePoints = SequenceSimilarity.CodePoints(part);
                if (ExceedsMaximumLengthRatio(lowered.Length, partCodePoints.Length))
                {
                    continue;
                }
                if (SequenceSimilarity.QuickRatio(lowered, partCodePoints) >= _options.MaxSimilarity)
                {
                    return name;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Django's exceeds_maximum_length_ratio: when the password is at least ten times longer than the
    /// value, quick_ratio cannot reach max_similarity, so the comparison is skipped (a DoS guard for
    /// very long passwords).
    /// </summary>
    private bool ExceedsMaximumLengthRatio(int passwordLength, int valueLength)
    {
        double lengthBoundSimilarity = _options.MaxSimilarity / 2 * passwordLength;
        return passwordLength >= 10 * valueLength && valueLength < lengthBoundSimilarity;
    }

    private static int CountCodePoints(string value)
    {
        int count = 0;
        foreach (Rune _ in value.EnumerateRunes())
        {
            count++;
        }
        return count;
    }

    // Python's str.isdigit(), approximated by Unicode decimal digits; "" is not numeric.
    private static bool IsEntirelyNumeric(string value)
    {
        if (value.Length == 0)
        {
            return false;
        }
        foreach (Rune rune in value.EnumerateRunes())
        {
            if (!Rune.IsDigit(rune))
            {
                return false;
            }
        }
        return true;
    }

    // Python's \W for str patterns: anything but str.isalnum() characters and "_". .NET's own \W
    // differs (it counts combining marks as word characters), so the class is spelled out.
    [GeneratedRegex(@"[^\p{L}\p{N}_]+", RegexOptions.CultureInvariant)]
    private static partial Regex NonWordRuns();
}
