using System.Data.Common;
using System.Globalization;
using Gatehouse.Configuration;
using Gatehouse.Security;
using Gatehouse.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;

namespace Gatehouse.RateLimiting;

/// <summary>What a rate-limit rule counts per: the client IP, a key such as an email address, or the user.</summary>
public readonly record struct RateLimitSubject(string? Ip = null, string? Key = null, long? UserId = null);

/// <summary>
/// allauth's per-action rate limits ("20/m/ip,5/m/key"), counted in fixed windows in the database so
/// every node sees the same counts. Counter keys are SHA-256 of action, rule and value: no email or IP
/// is stored in clear.
/// </summary>
public sealed class RateLimiter(GatehouseDbContext db, IOptions<RateLimitOptions> options, IOptions<AccountOptions> account, TimeProvider time)
{
    internal sealed record Rule(int Amount, long PeriodSeconds, string Per);

    /// <summary>Counts one attempt against every rule of <paramref name="action"/>; false when any is exceeded.</summary>
    public async Task<bool> TryHitAsync(string action, RateLimitSubject subject, CancellationToken ct)
    {
        var allowed = true;
        foreach (var (rule, key) in Applicable(action, subject))
        {
            var count = await IncrementAsync(key, WindowStart(rule), ct);
            if (count > rule.Amount)
            {
                allowed = false;
            }
        }
        return allowed;
    }

    /// <summary>Gives back one attempt counted by <see cref="TryHitAsync"/> (a login that turned out right).</summary>
    public async Task UndoHitAsync(string action, RateLimitSubject subject, CancellationToken ct)
    {
        foreach (var (rule, key) in Applicable(action, subject))
        {
            await ExecuteAsync("UPDATE rate_limit_counters SET count = count - 1 WHERE key = @k AND window_start = @w AND count > 0",
                ct, ("@k", key), ("@w", WindowStart(rule)));
        }
    }

    /// <summary>Forgets the per-key counts of an action (allauth clears failed logins after a success).</summary>
    public async Task ClearKeyAsync(string action, string key, CancellationToken ct)
    {
        foreach (var (_, counterKey) in Applicable(action, new RateLimitSubject(Key: key)).Where(x => x.Rule.Per == "key"))
        {
            await ExecuteAsync("DELETE FROM rate_limit_counters WHERE key = @k", ct, ("@k", counterKey));
        }
    }

    private IEnumerable<(Rule Rule, string Key)> Applicable(string action, RateLimitSubject subject)
    {
        if (!options.Value.Enabled)
        {
            yield break;
        }
        var spec = options.Value.RuleFor(action, account.Value);
        if (string.IsNullOrWhiteSpace(spec))
        {
            yield break;
        }
        foreach (var rule in Parse(spec))
        {
            var value = rule.Per switch
            {
                "ip" => subject.Ip is null ? null : ClientBucket.Of(subject.Ip),
                "key" => subject.Key?.ToLowerInvariant(),
                "user" => subject.UserId?.ToString(CultureInfo.InvariantCulture),
                _ => null,
            };
            if (value is not null)
            {
                yield return (rule, Secrets.Sha256Hex($"{action}|{rule.Per}|{rule.PeriodSeconds}|{value}"));
            }
        }
    }

    private long WindowStart(Rule rule)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        return now - (now % rule.PeriodSeconds);
    }

    /// <summary>Parses "20/m/ip,5/5m/key". Throws FormatException with the offending part.</summary>
    internal static IReadOnlyList<Rule> Parse(string spec) =>
        TryParse(spec, out var rules, out var error) ? rules : throw new FormatException(error);

    /// <summary>
    /// allauth's syntax (allauth.core.internal.ratelimit.parse_rate): comma-separated
    /// <c>amount/period[/per]</c>, per <c>ip</c> (the default when left out, as in allauth), <c>key</c> or
    /// <c>user</c>; period a unit <c>s</c>, <c>m</c>, <c>h</c> or <c>d</c>, optionally after a whole
    /// count (<c>5m</c>). Stricter than allauth where a window must be whole seconds: no fractions
    /// (<c>1.5m</c>), no zero, no signs, at most a year, so a window never divides by zero or overflows.
    /// Never throws: start-up validation reports <paramref name="error"/> with the setting's name.
    /// </summary>
    internal static bool TryParse(string? spec, out IReadOnlyList<Rule> rules, out string? error)
    {
        var parsed = new List<Rule>();
        rules = parsed;
        error = null;
        foreach (var part in (spec ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split('/');
            if (pieces.Length is not (2 or 3) || !TryParseCount(pieces[0], out var amount) ||
                (pieces.Length == 3 && pieces[2] is not ("ip" or "key" or "user")))
            {
                error = $"Rate limit '{part}' is not of the form amount/period/per, e.g. 20/m/ip.";
                return false;
            }
            if (!TryParsePeriod(pieces[1], out var seconds))
            {
                error = $"Rate limit period '{pieces[1]}' must be s, m, h or d, optionally after a whole number (5m), and at most a year.";
                return false;
            }
            parsed.Add(new Rule(amount, seconds, pieces.Length == 3 ? pieces[2] : "ip"));
        }
        return true;
    }

    /// <summary>The canonical text of parsed rules (periods in seconds): parses back to the same rules.</summary>
    internal static string Format(IEnumerable<Rule> rules) =>
        string.Join(',', rules.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Amount}/{r.PeriodSeconds}s/{r.Per}")));

    private const long MaxPeriodSeconds = 366L * 86400;

    private static bool TryParsePeriod(string period, out long seconds)
    {
        seconds = 0;
        if (period.Length == 0)
        {
            return false;
        }
        long unit = period[^1] switch
        {
            's' => 1L,
            'm' => 60L,
            'h' => 3600L,
            'd' => 86400L,
            _ => 0L,
        };
        var count = 1;
        if (unit == 0 || (period.Length > 1 && (!TryParseCount(period[..^1], out count) || count == 0)))
        {
            return false;
        }
        seconds = unit * count; // at most 86400 * int.MaxValue: no overflow in a long
        return seconds <= MaxPeriodSeconds;
    }

    // Digits only: no sign, no spaces, no thousands separators.
    private static bool TryParseCount(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    private async Task<long> IncrementAsync(string key, long windowStart, CancellationToken ct)
    {
        // One statement, atomic on both SQLite (3.35+) and PostgreSQL: a new window restarts the count.
        const string sql = """
            INSERT INTO rate_limit_counters (key, window_start, count) VALUES (@k, @w, 1)
            ON CONFLICT (key) DO UPDATE SET
                count = CASE WHEN rate_limit_counters.window_start = excluded.window_start THEN rate_limit_counters.count + 1 ELSE 1 END,
                window_start = excluded.window_start
            RETURNING count
            """;
        return await ScalarAsync(sql, ct, ("@k", key), ("@w", windowStart));
    }

    private async Task<long> ScalarAsync(string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = Command(sql, parameters);
            var result = await command.ExecuteScalarAsync(ct);
            return result is null or DBNull ? 0 : Convert.ToInt64(result, CultureInfo.InvariantCulture);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = Command(sql, parameters);
            await command.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    // Open and close around each statement: a login counts its attempts here and then waits in the
    // hashing queue, maybe for seconds, and a connection left open for the rest of the request would
    // be taken from the pool for all that time (a login storm drained PostgreSQL's pool for every other
    // flow). EF Core counts opens, so inside a transaction (whose connection EF holds open) the close
    // leaves the connection open, and the command joins that transaction.
    private DbCommand Command(string sql, (string Name, object Value)[] parameters)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        return command;
    }
}
