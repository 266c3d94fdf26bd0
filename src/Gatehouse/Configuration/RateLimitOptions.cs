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
        // Without account settings; with them, DeriveFromAccount decides (the same for the defaults).
        ["confirm_email"] = "1/3m/key",
    };

    /// <summary>
    /// allauth derives confirm_email's default from its account settings (app_settings.RATE_LIMITS): one
    /// mail per 10 s with verification by code (the code lives in the session, so a new one must come
    /// soon), else one per <see cref="AccountOptions.EmailConfirmationCooldown"/> (allauth's deprecated
    /// ACCOUNT_EMAIL_CONFIRMATION_COOLDOWN; zero switches it off). An explicit Rules:confirm_email wins.
    /// </summary>
    internal void DeriveFromAccount(AccountOptions account)
    {
        if (Rules.ContainsKey("confirm_email"))
        {
            return;
        }
        var cooldown = (long)Math.Ceiling(account.EmailConfirmationCooldown.TotalSeconds);
        Rules["confirm_email"] = account.EmailVerificationByCodeEnabled ? "1/10s/key"
            : cooldown > 0 ? $"1/{cooldown}s/key"
            : "";
    }

    public string? RuleFor(string action) =>
        Rules.TryGetValue(action, out var rule) ? rule : Defaults.GetValueOrDefault(action);
}
