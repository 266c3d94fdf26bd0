using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// Holds the first database command whose text contains every one of <see cref="Words"/> (once armed) until the test
/// opens the gate: a request can be stopped at an exact point (e.g. just before a login inserts its
/// session) while another request runs to completion. No sleeps, no timing: the order is forced.
/// </summary>
public sealed class CommandGate(params string[] words) : DbCommandInterceptor
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _armed;

    /// <summary>Words the command text must contain (case-insensitive: PostgreSQL's SQL quotes no lower-case names).</summary>
    public IReadOnlyList<string> Words { get; } = words;

    /// <summary>Completes when a command matched and is being held.</summary>
    public Task Reached => _reached.Task;

    public void Arm() => Interlocked.Exchange(ref _armed, 1);

    public void Open() => _open.TrySetResult();

    private async Task HoldAsync(DbCommand command)
    {
        if (Words.All(w => command.CommandText.Contains(w, StringComparison.OrdinalIgnoreCase)) && Interlocked.Exchange(ref _armed, 0) == 1)
        {
            _reached.TrySetResult();
            await _open.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        await HoldAsync(command);
        return result;
    }

    public override async ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        await HoldAsync(command);
        return result;
    }
}
