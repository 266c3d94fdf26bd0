using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gatehouse.Configuration;

/// <summary>
/// Set by a host that serves the pages the default <c>Gatehouse:FrontendUrls</c> templates point at (the standalone
/// server does, with its bundled web frontend), so the start-up warning below stays quiet.
/// </summary>
public sealed class GatehouseFrontendPages
{
    public bool Served { get; set; }
}

/// <summary>
/// Outside Development, warns once at start when mail links still use the default frontend paths and nothing says the
/// host serves them: an embedding app whose frontend lacks /account/verify-email/{key} would mail links that lead
/// nowhere, and nobody notices until a user writes in.
/// </summary>
internal sealed partial class FrontendUrlsCheck(
    IOptions<FrontendOptions> options, GatehouseFrontendPages pages, IHostEnvironment environment, ILogger<FrontendUrlsCheck> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (environment.IsDevelopment() || pages.Served)
        {
            return Task.CompletedTask;
        }
        var defaults = new FrontendOptions();
        var current = options.Value;
        var unchanged = new List<string>();
        if (current.AccountConfirmEmail == defaults.AccountConfirmEmail)
        {
            unchanged.Add($"account_confirm_email={defaults.AccountConfirmEmail}");
        }
        if (current.AccountResetPasswordFromKey == defaults.AccountResetPasswordFromKey)
        {
            unchanged.Add($"account_reset_password_from_key={defaults.AccountResetPasswordFromKey}");
        }
        if (current.AccountResetPassword == defaults.AccountResetPassword)
        {
            unchanged.Add($"account_reset_password={defaults.AccountResetPassword}");
        }
        if (current.AccountSignup == defaults.AccountSignup)
        {
            unchanged.Add($"account_signup={defaults.AccountSignup}");
        }
        if (unchanged.Count > 0)
        {
            Log.DefaultFrontendUrls(logger, current.BaseUrl ?? "(the request's host)", string.Join(", ", unchanged));
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning,
            "Mail links point at the default frontend pages on {BaseUrl}: {Templates}. Make sure your frontend serves " +
            "these paths, or set Gatehouse:FrontendUrls:<name> to the pages it has (README, \"Gatehouse as a library\").")]
        public static partial void DefaultFrontendUrls(ILogger logger, string baseUrl, string templates);
    }
}
