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
    internal static IReadOnlyList<Rule> Parse(string spec)
    {
        var rules = new List<Rule>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split('/');
            if (pieces.Length != 3 || !int.TryParse(pieces[0], CultureInfo.InvariantCulture, out var amount) || amount < 0 ||
                pieces[2] is not ("ip" or "key" or "user"))
            {
                throw new FormatException($"Rate limit '{part}' is not of the form amount/period/per, e.g. 20/m/ip.");
            }
            var period = pieces[1];
            var unit = period[^1];
            var multiplier = period.Length > 1 ? long.Parse(period[..^1], CultureInfo.InvariantCulture) : 1;
            var seconds = unit switch
            {
                's' => 1L,
                'm' => 60L,
                'h' => 3600L,
                'd' => 86400L,
                _ => throw new FormatException($"Rate limit period '{period}' must end in s, m, h or d."),
            };
            rules.Add(new Rule(amount, seconds * multiplier, pieces[2]));
        }
        return rules;
    }

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
