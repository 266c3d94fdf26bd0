using System.Collections.Frozen;
using Gatehouse.Security.Passwords;
using Microsoft.Extensions.Options;

namespace Gatehouse.Security;

/// <summary>
/// Recognises throw-away mail providers, so signups can refuse them. A listed domain also covers its
/// subdomains: those providers hand out addresses at any name under their domain
/// (anything.mailinator.com), which an exact match would miss.
/// </summary>
public sealed class DisposableEmailDomains
{
    // About 120,000 domains: loaded once per process and shared by every instance.
    private static readonly FrozenSet<string> BuiltIn =
        EmbeddedWordList.Read("disposable-domains.txt").ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    private readonly bool _enabled;
    private readonly FrozenSet<string> _extra;

    public DisposableEmailDomains(IOptions<PasswordOptions> options)
    {
        PasswordOptions value = options.Value;
        _enabled = value.BlockDisposableEmailDomains;
        _extra = value.DisposableEmailDomains
            .Select(Normalize)
            .Where(domain => domain.Length > 0)
            .ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>
    /// True when the address's domain, or any parent domain short of the top-level one, is listed.
    /// Accepts "user@sub.mailinator.com" or "sub.mailinator.com"; case-insensitive.
    /// </summary>
    public bool IsDisposable(string emailOrDomain)
    {
        if (!_enabled || string.IsNullOrWhiteSpace(emailOrDomain))
        {
            return false;
        }

        ReadOnlySpan<char> domain = emailOrDomain.AsSpan().Trim();
        int at = domain.LastIndexOf('@');
        if (at >= 0)
        {
            domain = domain[(at + 1)..];
        }
        // "mailinator.com." is the same domain written as fully qualified.
        domain = domain.TrimEnd('.');

        FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> builtIn = BuiltIn.GetAlternateLookup<ReadOnlySpan<char>>();
        FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> extra = _extra.GetAlternateLookup<ReadOnlySpan<char>>();
        // Walk up one label at a time; stop before the bare top-level domain ("com" is never listed).
        for (int dot = domain.IndexOf('.'); dot > 0; dot = domain.IndexOf('.'))
        {
            if (builtIn.Contains(domain) || extra.Contains(domain))
            {
                return true;
            }
            domain = domain[(dot + 1)..];
        }

        return false;
    }

    // Operators write "@example.com" or "*.example.com" as often as "example.com".
    private static string Normalize(string configured)
    {
        string domain = configured.Trim().TrimStart('*', '@').TrimStart('.').TrimEnd('.');
        return domain.ToLowerInvariant();
    }
}
