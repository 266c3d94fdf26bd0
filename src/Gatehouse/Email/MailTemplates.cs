using System.Collections.Frozen;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Gatehouse.Email;

/// <summary>A rendered mail: subject, plain text and the HTML alternative.</summary>
public sealed record RenderedMail(string Subject, string Text, string Html);

/// <summary>
/// Plain-text templates (embedded, allauth's wording) rendered into text and HTML. The HTML part is made
/// from the text with every value escaped, so a name holding markup stays text.
/// </summary>
public static partial class MailTemplates
{
    private static readonly FrozenDictionary<string, string> Files = Load();

    private static FrozenDictionary<string, string> Load()
    {
        var assembly = typeof(MailTemplates).Assembly;
        const string marker = ".Email.Templates.";
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            var at = name.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            files[name[(at + marker.Length)..]] = reader.ReadToEnd().TrimEnd('\n', '\r');
        }
        return files.ToFrozenDictionary();
    }

    private const string ExtendsNotification = "{{extends notification}}";

    public static bool Exists(string template) => Files.ContainsKey(template + ".txt");

    public static RenderedMail Render(string template, IReadOnlyDictionary<string, string> values)
    {
        var subject = Substitute(Files[template + ".subject.txt"], values, html: false).Trim();
        var prefix = values.TryGetValue("site_name", out var site) ? $"[{site}] " : "";
        var content = Files[template + ".txt"];
        // A security notification holds only its message; the frame around it is allauth's base_notification.txt.
        if (content.StartsWith(ExtendsNotification, StringComparison.Ordinal))
        {
            content = Files["_notification.txt"].Replace("{{notification_message}}", content[ExtendsNotification.Length..].Trim(), StringComparison.Ordinal);
        }
        var all = new Dictionary<string, string>(values, StringComparer.Ordinal);
        var text = Substitute(Files["_base.txt"].Replace("{{content}}", content, StringComparison.Ordinal), all, html: false) + "\n";
        var html = ToHtml(Files["_base.txt"].Replace("{{content}}", content, StringComparison.Ordinal), all);
        return new RenderedMail(prefix + subject, text, html);
    }

    private static string Substitute(string template, IReadOnlyDictionary<string, string> values, bool html) =>
        Placeholder().Replace(template, m =>
        {
            var value = values.TryGetValue(m.Groups[1].Value, out var v) ? v : "";
            return html ? WebUtility.HtmlEncode(value) : value;
        });

    private static string ToHtml(string template, IReadOnlyDictionary<string, string> values)
    {
        var body = new StringBuilder("<!doctype html><html><body style=\"font-family:sans-serif\">");
        foreach (var paragraph in template.Split("\n\n"))
        {
            // Escape the template text and the values separately, then make URLs (already escaped) links.
            var escaped = Placeholder().Split(paragraph);
            var builder = new StringBuilder();
            for (var i = 0; i < escaped.Length; i++)
            {
                builder.Append(i % 2 == 0
                    ? WebUtility.HtmlEncode(escaped[i])
                    : WebUtility.HtmlEncode(values.TryGetValue(escaped[i], out var v) ? v : ""));
            }
            var linked = Url().Replace(builder.ToString(), m => $"<a href=\"{m.Value}\">{m.Value}</a>");
            body.Append("<p>").Append(linked.Replace("\n", "<br>", StringComparison.Ordinal)).Append("</p>");
        }
        return body.Append("</body></html>").ToString();
    }

    [GeneratedRegex(@"\{\{(\w+)\}\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"https?://[^\s<]+")]
    private static partial Regex Url();
}
