using DmpApi.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DmpApi.Audit;

/// <summary>Writes one batch of audit records in one transaction. Replaced in tests to play a database that refuses the trail.</summary>
public interface IAuditBatchStore
{
    Task WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken);
}

/// <summary>
/// The AuditRecords table, through a DbContext scope of its own (the requests' contexts are not shared with the writer).
/// The batch is linked to the hash chain inside its transaction, after reading the chain's last link, so that the order
/// of the chain is the order of the commits; the unique sequence makes a second instance's concurrent append fail, and
/// it is retried on the new last link.
/// </summary>
internal sealed class DatabaseAuditBatchStore(IServiceScopeFactory scopes, WriteGate writeGate) : IAuditBatchStore
{
    private const int Attempts = 3;

    public async Task WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            foreach (var record in records)
            {
                record.Id = 0; // a failed attempt may have left the key of a rolled-back insert
            }

            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
            using var writer = await writeGate.EnterAsync(db, cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var last = await db.AuditRecords.AsNoTracking()
                .Where(r => r.Sequence != null)
                .OrderByDescending(r => r.Sequence)
                .Select(r => new { r.Sequence, r.Hash })
                .FirstOrDefaultAsync(cancellationToken);
            AuditChain.Link(records, last is { Sequence: { } sequence, Hash: { } hash } ? (sequence, hash) : null);
            db.AuditRecords.AddRange(records);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return;
            }
            catch (DbUpdateException e) when (attempt < Attempts && UniqueViolation.Matches(e))
            {
                // Another instance appended the same link first: link again after it.
            }
        }
    }
}

/// <summary>
/// The one writer of the audit trail (DESIGN §2): drains up to Audit:MaxBatchSize waiting records, commits them in one
/// transaction, then releases every waiting request; on failure every request of the batch answers 503.
/// </summary>
public sealed class AuditWriter(AuditTrail trail, IAuditBatchStore store, AuditMetrics metrics, IOptions<AuditOptions> options, ILogger<AuditWriter> logger) : BackgroundService
{
    private readonly int _maxBatch = options.Value.MaxBatchSize;
    private long _commits;
    private long _records;

    /// <summary>Transactions committed so far: fewer than <see cref="RecordsWritten"/> when requests were grouped.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    public long RecordsWritten => Interlocked.Read(ref _records);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<PendingAudit>(_maxBatch);
        try
        {
            while (await trail.Reader.WaitToReadAsync(stoppingToken))
            {
                await WriteBatchAsync(batch);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the server has already drained its requests (it stops before hosted services).
        }

        trail.Close();
        while (trail.Reader.TryPeek(out _))
        {
            await WriteBatchAsync(batch);
        }

        logger.LogInformation("Audit writer stopped: {Records} records committed in {Commits} transactions", RecordsWritten, Commits);
    }

    private async Task WriteBatchAsync(List<PendingAudit> batch)
    {
        batch.Clear();
        while (batch.Count < _maxBatch && trail.Reader.TryRead(out var pending))
        {
            if (!pending.IsAbandoned)
            {
                batch.Add(pending);
            }
        }

        if (batch.Count == 0 || await TryCommitAsync(batch) is not { } error)
        {
            return;
        }

        if (batch.Count > 1 && !DatabaseUnavailable.Matches(error))
        {
            // The database refused a record, not the trail: one record must not fail the requests it was grouped with.
            logger.LogWarning(error, "The audit trail could not commit a batch of {Count} records; committing them one by one", batch.Count);
            foreach (var pending in batch)
            {
                if (await TryCommitAsync([pending]) is { } single)
                {
                    logger.LogError(single, "The audit trail could not commit request {RequestId}'s record; it answers 503", pending.Record.RequestId);
                    pending.Failed(single);
                }
            }

            return;
        }

        logger.LogError(error, "The audit trail could not commit {Count} records; their requests answer 503", batch.Count);
        foreach (var pending in batch)
        {
            pending.Failed(error);
        }
    }

    /// <summary>Commits the records in one transaction and releases their requests; the error when the database refused them.</summary>
    private async Task<Exception?> TryCommitAsync(List<PendingAudit> pendings)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            // Not cancelled by shutdown: a record whose request is waiting is worth the last commit.
            await store.WriteAsync(pendings.ConvertAll(p => p.Record), CancellationToken.None);
        }
        catch (Exception e)
        {
            return e;
        }

        metrics.BatchCommitted(pendings.Count, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        Interlocked.Increment(ref _commits);
        Interlocked.Add(ref _records, pendings.Count);
        foreach (var pending in pendings)
        {
            pending.Committed();
        }

        return null;
    }
}
