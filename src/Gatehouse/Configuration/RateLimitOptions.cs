namespace Gatehouse.Configuration;

/// <summary>
/// <c>Gatehouse:RateLimits</c>: allauth's ACCOUNT_RATE_LIMITS, same keys and syntax
/// ("20/m/ip,5/m/key": amount / period (s, m, h, d, optionally with a count: 5m) / per ip, key or user).
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "Gatehouse:RateLimits";
    public bool Enabled { get; set; } = true;
    public Dictionary<string, string> Rules { get; set; } = new(StringComparer.Ordinal);

    /// <summary>django-allauth 65.x defaults.</summary>
    public static readonly IReadOnlyDictionary<string, string> Defaults = new Dictionary<string, string>
    {
        ["change_password"] = "5/m/user",
        ["manage_email"] = "10/m/user",
        ["reset_password"] = "20/m/ip,5/m/key",
        ["reauthenticate"] = "10/m/user",
        ["reset_password_from_key"] = "20/m/ip",
        ["signup"] = "20/m/ip",
        ["login"] = "30/m/ip",
        ["request_login_code"] = "20/m/ip,3/m/key",
        ["login_failed"] = "10/m/ip,5/5m/key",
        // Without account settings; with them, RuleFor derives it (the same for the default cooldown).
        ["confirm_email"] = "1/3m/key",
    };

    /// <summary>
    /// The rule of <paramref name="action"/>: the configured one, else the default. allauth derives
    /// confirm_email's default from its account settings (app_settings.RATE_LIMITS), and so do we when
    /// given them: one mail per 10 s with verification by code (the code lives in the session, so a new
    /// one must come soon), else one per <see cref="AccountOptions.EmailConfirmationCooldown"/> (allauth's
    /// deprecated ACCOUNT_EMAIL_CONFIRMATION_COOLDOWN; zero switches it off).
    /// </summary>
    public string? RuleFor(string action, AccountOptions? account = null)
    {
        if (Rules.TryGetValue(action, out var rule))
        {
            return rule;
        }
        if (action == "confirm_email" && account is not null)
        {
            var cooldown = (long)Math.Ceiling(account.EmailConfirmationCooldown.TotalSeconds);
            return account.EmailVerificationByCodeEnabled ? "1/10s/key"
                : cooldown > 0 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"1/{cooldown}s/key")
                : "";
        }
        return Defaults.GetValueOrDefault(action);
    }
}
