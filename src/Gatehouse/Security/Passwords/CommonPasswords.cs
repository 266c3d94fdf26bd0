using System.Collections.Frozen;

namespace Gatehouse.Security.Passwords;

/// <summary>
/// The 20,000 most common passwords (the role of Django's common-passwords.txt.gz). Loaded once per
/// process, on first use, into a frozen set: every signup and password change looks it up.
/// </summary>
internal static class CommonPasswords
{
    // Initialised when the class is first touched (the first validation), not at start-up, so
    // hosts and tests that never validate a password never pay for reading the list.
    private static readonly FrozenSet<string> Passwords =
        EmbeddedWordList.Read("common-passwords.txt").ToFrozenSet(StringComparer.Ordinal);

    internal static int Count => Passwords.Count;

    /// <summary>Same normalisation as Django's CommonPasswordValidator: lowercased and stripped.</summary>
    public static bool Contains(string password) =>
        Passwords.Contains(password.Trim().ToLowerInvariant());
}
