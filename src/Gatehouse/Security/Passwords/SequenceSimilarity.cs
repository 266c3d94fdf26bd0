namespace Gatehouse.Security.Passwords;

/// <summary>
/// Python's difflib.SequenceMatcher(a=a, b=b).quick_ratio(), which is what Django's
/// UserAttributeSimilarityValidator calls (not ratio()): 2 * M / T, where M counts the characters the
/// two strings share as multisets and T is their combined length. It is an upper bound on ratio()
/// and ignores difflib's junk heuristics, so none are reproduced. Strings are compared by Unicode
/// code point, like Python's str.
/// </summary>
internal static class SequenceSimilarity
{
    public static double QuickRatio(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        int length = a.Count + b.Count;
        if (length == 0)
        {
            // difflib's _calculate_ratio: two empty sequences are identical.
            return 1.0;
        }

        var available = new Dictionary<int, int>();
        foreach (int codePoint in b)
        {
            available[codePoint] = available.GetValueOrDefault(codePoint) + 1;
        }

        int matches = 0;
        foreach (int codePoint in a)
        {
            if (available.TryGetValue(codePoint, out int left) && left > 0)
            {
                available[codePoint] = left - 1;
                matches++;
            }
        }

        return 2.0 * matches / length;
    }

    public static int[] CodePoints(string value)
    {
        var codePoints = new List<int>(value.Length);
        foreach (System.Text.Rune rune in value.EnumerateRunes())
        {
            codePoints.Add(rune.Value);
        }
        return [.. codePoints];
    }
}
