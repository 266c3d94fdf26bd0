namespace Gatehouse.Tests.Infrastructure;

/// <summary>
/// A clock the test moves by hand, so tests about expiry and rate-limit windows never sleep.
/// (Microsoft.Extensions.TimeProvider.Testing does not restore from the package mirror here.)
/// Only the clock is fake: timers and timestamps come from <see cref="TimeProvider.System"/>.
/// </summary>
public sealed class FakeTimeProvider : TimeProvider
{
    public static readonly DateTimeOffset DefaultStart = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Lock _gate = new();
    private DateTimeOffset _utcNow;

    public FakeTimeProvider() : this(DefaultStart)
    {
    }

    public FakeTimeProvider(DateTimeOffset startUtc)
    {
        _utcNow = startUtc.ToUniversalTime();
    }

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _utcNow;
        }
    }

    /// <summary>Moves the clock forward (a negative span is refused: time does not run back).</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        lock (_gate)
        {
            _utcNow += delta;
        }
    }

    /// <summary>Sets the clock to an instant, earlier or later than now.</summary>
    public void SetUtcNow(DateTimeOffset value)
    {
        lock (_gate)
        {
            _utcNow = value.ToUniversalTime();
        }
    }

    public override string ToString() => GetUtcNow().ToString("O");
}
