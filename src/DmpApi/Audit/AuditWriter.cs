using DmpApi.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace DmpApi.Audit;

/// <summary>Writes one batch of audit records in one transaction. Replaced in tests to play a database that refuses the trail.</summary>
public interface IAuditBatchStore
{
    Task WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken);
}

/// <summary>
/// The AuditRecords table, through a DbContext scope of its own (the requests' contexts are not shared with the writer).
/// This process appends to a chain of its own (<see cref="AuditChain"/>), whose head it keeps in memory: a batch never
/// reads another instance's records, so instances appending at the same time never collide. The chain is registered with
/// the first batch, and its anchored head moves in each batch's transaction. After a failed commit the head is read back
/// from the chain's row (the commit may have landed before the error), never guessed.
/// </summary>
internal sealed class DatabaseAuditBatchStore(IServiceScopeFactory scopes, WriteGate writeGate, TimeProvider clock) : IAuditBatchStore
{
    private readonly Guid _chainId = Guid.NewGuid();
    private readonly string _writer = $"{Environment.MachineName}/{Environment.ProcessId}";
    private readonly SemaphoreSlim _oneBatchAtATime = new(1, 1);
    private (long Sequence, string Hash)? _head;
    private bool _headKnown;

    public async Task WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
    {
        await _oneBatchAtATime.WaitAsync(cancellationToken);
        try
        {
            foreach (var record in records)
            {
                record.Id = 0; // a failed attempt may have left the key of a rolled-back insert
            }

            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
            using var writer = await writeGate.EnterAsync(db, cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (!_headKnown)
            {
                var anchored = await db.AuditChains.AsNoTracking().Where(c => c.Id == _chainId)
                    .Select(c => new { c.HeadSequence, c.HeadHash }).FirstOrDefaultAsync(cancellationToken);
                _head = anchored is null ? null : (anchored.HeadSequence, anchored.HeadHash);
                _headKnown = true;
            }

            var head = AuditChain.Link(records, _chainId, _head);
            var npgsql = db.Database.GetDbConnection() as NpgsqlConnection;
            if (npgsql is not null)
            {
                await CopyAsync(db, npgsql, records, cancellationToken);
            }
            else
            {
                db.AuditRecords.AddRange(records);
            }
            if (_head is { } previous)
            {
                // Conditional on the head this writer knows: a second writer of the chain would have no effect here, and fail.
                var moved = npgsql is not null
                    ? await MoveHeadAsync(npgsql, (NpgsqlTransaction)transaction.GetDbTransaction(), _chainId, previous.Sequence, head, cancellationToken)
                    : await db.AuditChains.Where(c => c.Id == _chainId && c.HeadSequence == previous.Sequence)
                        .ExecuteUpdateAsync(set => set.SetProperty(c => c.HeadSequence, head.Sequence).SetProperty(c => c.HeadHash, head.Hash), cancellationToken);
                if (moved != 1)
                {
                    throw new InvalidOperationException($"The head of audit chain {_chainId} is not at sequence {previous.Sequence} any more.");
                }
            }
            else
            {
                db.AuditChains.Add(new AuditChainHead
                {
                    Id = _chainId, StartedAt = clock.GetUtcNow().UtcDateTime, Writer = _writer, HeadSequence = head.Sequence, HeadHash = head.Hash,
                });
            }

            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            _head = head;
        }
        catch
        {
            _headKnown = false;
            throw;
        }
        finally
        {
            _oneBatchAtATime.Release();
        }
    }

    /// <summary>
    /// PostgreSQL: the batch as one binary COPY inside the batch's transaction (issue 12), instead of one INSERT per record
    /// through the change tracker. Every mapped column but the generated key, as the EF model names it (a new column is
    /// copied without a change here); the keys are not read back, as nothing of a committed batch needs them.
    /// </summary>
    private static async Task CopyAsync(DmpDbContext db, NpgsqlConnection connection, IReadOnlyList<AuditRecord> records, CancellationToken ct)
    {
        var columns = CopiedColumns.GetOrAdd(db.Model, ColumnsOf);
        await using var copy = await connection.BeginBinaryImportAsync(columns.Command, ct);
        foreach (var record in records)
        {
            await copy.StartRowAsync(ct);
            foreach (var property in columns.Properties)
            {
                switch (property.GetValue(record))
                {
                    case null: await copy.WriteNullAsync(ct); break;
                    case DateTime at: await copy.WriteAsync(DateTime.SpecifyKind(at, DateTimeKind.Utc), NpgsqlTypes.NpgsqlDbType.TimestampTz, ct); break;
                    case var value: await copy.WriteAsync(value, ct); break;
                }
            }
        }

        await copy.CompleteAsync(ct);
    }

    /// <summary>
    /// PostgreSQL: the head moves by a prepared statement with positional parameters, as the COPY beside it: EF's
    /// ExecuteUpdate built and looked up its expression tree on every batch (2% of the server's CPU on the mixed load).
    /// </summary>
    private static async Task<int> MoveHeadAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid chain, long from, (long Sequence, string Hash) head, CancellationToken ct)
    {
        await using var move = new NpgsqlCommand("UPDATE \"AuditChains\" SET \"HeadSequence\" = $1, \"HeadHash\" = $2 WHERE \"Id\" = $3 AND \"HeadSequence\" = $4", connection, transaction)
        {
            Parameters = { new() { Value = head.Sequence }, new() { Value = head.Hash }, new() { Value = chain }, new() { Value = from } },
        };
        return await move.ExecuteNonQueryAsync(ct);
    }

    private sealed record CopyColumns(string Command, System.Reflection.PropertyInfo[] Properties);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Microsoft.EntityFrameworkCore.Metadata.IModel, CopyColumns> CopiedColumns = new();

    private static CopyColumns ColumnsOf(Microsoft.EntityFrameworkCore.Metadata.IModel model)
    {
        var properties = model.FindEntityType(typeof(AuditRecord))!.GetProperties()
            .Where(p => p.ValueGenerated == Microsoft.EntityFrameworkCore.Metadata.ValueGenerated.Never && p.PropertyInfo is not null).ToList();
        var names = string.Join(", ", properties.Select(p => $"\"{p.GetColumnName()}\""));
        return new($"COPY \"AuditRecords\" ({names}) FROM STDIN (FORMAT BINARY)", properties.Select(p => p.PropertyInfo!).ToArray());
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
