using System.Reflection;

namespace Gatehouse.Security.Passwords;

/// <summary>
/// Reads the one-entry-a-line lists shipped under Security/Data as embedded resources. Lines
/// starting with <c>#</c> carry the list's source and licence and are skipped.
/// </summary>
internal static class EmbeddedWordList
{
    public static IEnumerable<string> Read(string fileName)
    {
        Assembly assembly = typeof(EmbeddedWordList).Assembly;
        // Match on the file name rather than a hard-coded manifest name: MSBuild derives the
        // manifest name from RootNamespace and the folder, and either may change.
        string resource = assembly.GetManifestResourceNames()
            .SingleOrDefault(name => name.EndsWith("." + fileName, StringComparison.Ordinal))
            ?? throw new InvalidOperationException(
                $"The embedded list '{fileName}' is missing: Gatehouse.csproj must embed Security/Data/*.txt.");

        using Stream stream = assembly.GetManifestResourceStream(resource)!;
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            string entry = line.Trim();
            if (entry.Length > 0 && entry[0] != '#')
            {
                yield return entry;
            }
        }
    }
}
