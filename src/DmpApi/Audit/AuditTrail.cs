using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace DmpApi.Audit;

/// <summary>The audit record of a request could not be made durable: the request answers 503 and discloses nothing (DESIGN §2).</summary>
public sealed class AuditTrailUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Group commit (DESIGN §2): each request enqueues its record and waits until the <see cref="AuditWriter"/> has committed
/// it, together with whatever other records were waiting, in one transaction. Durability costs one commit per batch,
/// not one per read, and no response leaves before its trace is on disk.
/// </summary>
public sealed class AuditTrail
{
    private readonly Channel<PendingAudit> _queue;
    private readonly TimeSpan _timeout;

    public AuditTrail(IOptions<AuditOptions> options)
    {
        _timeout = TimeSpan.FromSeconds(options.Value.CommitTimeoutSeconds);
        QueueCapacity = options.Value.QueueCapacity;
        // Bounded: under a write outage requests wait for room instead of piling up records in memory.
        _queue = Channel.CreateBounded<PendingAudit>(new BoundedChannelOptions(options.Value.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
    }

    internal ChannelReader<PendingAudit> Reader => _queue.Reader;

    /// <summary>Records waiting for the writer now (readiness and metrics).</summary>
    public int QueueDepth => _queue.Reader.Count;

    public int QueueCapacity { get; }

    /// <summary>
    /// Completes once the record is committed; throws <see cref="AuditTrailUnavailableException"/> when the writer failed,
    /// has stopped, or did not commit within Audit:CommitTimeoutSeconds. The client going away does not cancel it:
    /// an access that happened is traced.
    /// </summary>
    public async Task RecordAsync(AuditRecord record)
    {
        var pending = new PendingAudit(record);
        using var deadline = new CancellationTokenSource(_timeout);
        try
        {
            await _queue.Writer.WriteAsync(pending, deadline.Token);
            await pending.Completion.WaitAsync(deadline.Token);
        }
        catch (ChannelClosedException e)
        {
            throw new AuditTrailUnavailableException("The audit writer has stopped.", e);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            if (pending.TryAbandon())
            {
                throw new AuditTrailUnavailableException($"The audit record was not committed within {_timeout.TotalSeconds:0} s.");
            }

            // The writer settled it just as the deadline passed: its answer stands.
            await pending.Completion;
        }
    }

    /// <summary>Refuses new records (then requests answer 503 at once); those already queued are still written.</summary>
    internal void Close() => _queue.Writer.TryComplete();
}

/// <summary>A queued record and the request waiting for its commit.</summary>
internal sealed class PendingAudit(AuditRecord record)
{
    // Continuations run on the thread pool, not inline on the writer: the writer goes back to the queue at once.
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public AuditRecord Record => record;

    public Task Completion => _done.Task;

    /// <summary>The request stopped waiting (deadline passed): the writer skips it, as its response was a 503.</summary>
    public bool IsAbandoned => _done.Task.IsCompleted;

    public bool TryAbandon() => _done.TrySetCanceled();

    public void Committed() => _done.TrySetResult();

    public void Failed(Exception error) => _done.TrySetException(new AuditTrailUnavailableException("The audit record could not be committed.", error));
}
