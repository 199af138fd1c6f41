using Microsoft.EntityFrameworkCore;

namespace DmpApi.Storage;

/// <summary>
/// SQLite takes one writer at a time, and a second writer's BEGIN IMMEDIATE waits in the driver's busy loop, which
/// blocks a thread-pool thread and retries on a timer (reads starve behind waiting writes). Writers queue here instead,
/// asynchronously and in arrival order, and start their transaction when the previous one is over. Other providers pass
/// straight through: their row locks let writers run side by side.
/// </summary>
public sealed class WriteGate : IDisposable
{
    private readonly SemaphoreSlim _sqlite = new(1, 1);

    /// <summary>Enter before beginning a write transaction (or a SaveChanges outside one); dispose to leave. Null: nothing to leave.</summary>
    public async ValueTask<IDisposable?> EnterAsync(DmpDbContext db, CancellationToken ct)
    {
        if (!db.Database.IsSqlite())
        {
            return null;
        }

        await _sqlite.WaitAsync(ct);
        return new Exit(_sqlite);
    }

    public void Dispose() => _sqlite.Dispose();

    private sealed class Exit(SemaphoreSlim gate) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}
