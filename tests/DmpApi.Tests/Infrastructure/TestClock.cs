namespace DmpApi.Tests.Infrastructure;

/// <summary>A clock the test moves: time-bound DMP rules run as if days or weeks had passed.</summary>
public sealed class TestClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; private set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}
