using System.Globalization;
using System.Text;
using DmpApi.Audit;
using DmpApi.Notifications;
using DmpApi.Patients;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DmpApi.Lifecycle;

/// <summary>What a purge destroyed, or would destroy (dry run).</summary>
public sealed record PurgeTally(int Records, long ResourceVersions, long Binaries, long IndexRows)
{
    public static readonly PurgeTally None = new(0, 0, 0, 0);

    public PurgeTally Add(PurgeTally other) =>
        new(Records + other.Records, ResourceVersions + other.ResourceVersions, Binaries + other.Binaries, IndexRows + other.IndexRows);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Records:N0} records: {ResourceVersions:N0} resource versions, {Binaries:N0} binaries, {IndexRows:N0} search index rows");
}

/// <summary>
/// CSP L1111-18: a closed record is kept ten years after its closure, then destroyed. The purge removes a record's
/// clinical content (every version of every resource, the Binaries, the search index rows, its INS identities and
/// notices) and leaves its Patient as a tombstone (deleted: reads answer 410; no identity, no content). The audit trail is
/// not touched: its records name resources by id and hold no clinical content, so every chain still verifies, and the
/// purge itself is traced there, one record per purged record, written before the destruction (a crash in between leaves
/// a trace whose record the next round purges again: idempotent, resumable, at-least-once tracing).
/// </summary>
public sealed class RecordPurge(IServiceScopeFactory scopes, AuditTrail trail, TimeProvider clock, IOptions<LifecycleOptions> options, ILogger<RecordPurge> logger)
{
    /// <summary>The subject of the system requester in the traces of a purge.</summary>
    public const string SystemSubject = "dmpapi-purge";

    /// <summary>Requester kind of a trace written by the server itself (the purge), not by a request.</summary>
    public const string SystemRequester = "System";

    /// <summary>Ids of the records closed before the retention cut-off, as of now, in key order.</summary>
    public async Task<IReadOnlyList<string>> ExpiredRecordsAsync(CancellationToken ct)
    {
        var cutOff = clock.GetUtcNow().AddYears(-options.Value.RetentionYears);
        var expired = new List<string>();
        long after = 0;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
        while (true)
        {
            // Closed records: the current Patient row indexed active=false (a purged one is a tombstone without index rows).
            var batch = await db.Resources.AsNoTracking().TagWith("dmp:purge")
                .Where(r => r.ResourceType == "Patient" && r.IsCurrent && !r.IsDeleted && r.Id > after
                    && db.TokenIndex.Any(t => t.ResourceRowId == r.Id && t.ParamName == "active" && t.Code == "false"))
                .OrderBy(r => r.Id).Take(options.Value.PurgeBatchSize).ToListAsync(ct);
            if (batch.Count == 0)
            {
                return expired;
            }

            after = batch[^1].Id;
            expired.AddRange(batch.Where(row => ClosedBefore(row, cutOff)).Select(row => row.LogicalId));
        }
    }

    /// <summary>What purging this record destroys, counted without changing anything.</summary>
    public async Task<PurgeTally> CountAsync(string patientId, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        return await CountAsync(scope.ServiceProvider.GetRequiredService<DmpDbContext>(), patientId, await RowIdsAsync(scope.ServiceProvider.GetRequiredService<DmpDbContext>(), patientId, ct), ct);
    }

    /// <summary>The keys of every version of every resource of the record (the Patient's own rows carry its id as PatientId).</summary>
    private static Task<List<long>> RowIdsAsync(DmpDbContext db, string patientId, CancellationToken ct) =>
        db.Resources.AsNoTracking().TagWith("dmp:purge").Where(r => r.PatientId == patientId).Select(r => r.Id).ToListAsync(ct);

    private static async Task<PurgeTally> CountAsync(DmpDbContext db, string patientId, List<long> rowIds, CancellationToken ct)
    {
        // By resource row key (indexed): the index rows of a record are found through its rows.
        var index = await db.TokenIndex.CountAsync(t => rowIds.Contains(t.ResourceRowId), ct)
            + await db.StringIndex.CountAsync(t => rowIds.Contains(t.ResourceRowId), ct)
            + await db.DateIndex.CountAsync(t => rowIds.Contains(t.ResourceRowId), ct)
            + await db.ReferenceIndex.CountAsync(t => rowIds.Contains(t.ResourceRowId), ct);
        return new PurgeTally(1, rowIds.Count, await db.Binaries.LongCountAsync(b => b.PatientId == patientId, ct), index);
    }

    /// <summary>
    /// Purges one record in one transaction, guarded by turning its current Patient row into the tombstone first (a
    /// concurrent purge of the same record, on this instance or another, then changes nothing); null when the record is
    /// no longer due (already purged, reopened, or not closed long enough).
    /// </summary>
    public async Task<PurgeTally?> PurgeAsync(string patientId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var cutOff = now.AddYears(-options.Value.RetentionYears);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
        var current = await db.Resources.AsNoTracking()
            .FirstOrDefaultAsync(r => r.ResourceType == "Patient" && r.LogicalId == patientId && r.IsCurrent && !r.IsDeleted, ct);
        if (current is null || !ClosedBefore(current, cutOff))
        {
            return null;
        }

        var rowIds = await RowIdsAsync(db, patientId, ct);
        var tally = await CountAsync(db, patientId, rowIds, ct);
        await trail.RecordAsync(Trace(patientId, now.UtcDateTime));

        var strategy = db.Database.CreateExecutionStrategy();
        return await strategy.ExecuteAsync(async () =>
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var tombstone = ResourceCompression.Compress(Encoding.UTF8.GetBytes($$"""{"resourceType":"Patient","id":"{{patientId}}","active":false}"""));
            var claimed = await db.Resources
                .Where(r => r.Id == current.Id && r.IsCurrent && !r.IsDeleted)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.IsDeleted, true).SetProperty(r => r.Data, tombstone)
                    .SetProperty(r => r.VersionId, current.VersionId + 1).SetProperty(r => r.LastUpdated, now.UtcDateTime), ct);
            if (claimed == 0)
            {
                return null;
            }

            // Rows written since the count (none: a closed record accepts only its reopening, which the claim excludes).
            var ids = await RowIdsAsync(db, patientId, ct);
            await db.TokenIndex.Where(t => ids.Contains(t.ResourceRowId)).ExecuteDeleteAsync(ct);
            await db.StringIndex.Where(t => ids.Contains(t.ResourceRowId)).ExecuteDeleteAsync(ct);
            await db.DateIndex.Where(t => ids.Contains(t.ResourceRowId)).ExecuteDeleteAsync(ct);
            await db.ReferenceIndex.Where(t => ids.Contains(t.ResourceRowId)).ExecuteDeleteAsync(ct);
            await db.Binaries.Where(b => b.PatientId == patientId).ExecuteDeleteAsync(ct);
            await db.PatientIdentities.Where(p => p.PatientId == patientId).ExecuteDeleteAsync(ct);
            await db.DocumentUniqueIds.Where(u => u.PatientId == patientId).ExecuteDeleteAsync(ct);
            await db.Notifications.Where(n => n.PatientId == patientId).ExecuteDeleteAsync(ct);
            await db.Resources.Where(r => r.PatientId == patientId && r.Id != current.Id).ExecuteDeleteAsync(ct);
            await transaction.CommitAsync(ct);
            logger.LogInformation("Purged record {PatientId}, closed more than {Years} years ago: {Tally}", patientId, options.Value.RetentionYears, tally);
            return tally;
        });
    }

    /// <summary>
    /// One round: every expired record purged, Lifecycle:PurgeParallelism at a time (each waits for its trace's commit,
    /// which the audit writer groups); <paramref name="progress"/> hears (done, total) after each.
    /// </summary>
    public async Task<PurgeTally> PurgeExpiredAsync(bool dryRun, Action<int, int>? progress, CancellationToken ct)
    {
        var expired = await ExpiredRecordsAsync(ct);
        var total = PurgeTally.None;
        var done = 0;
        var gate = new object();
        await Parallel.ForEachAsync(expired, new ParallelOptions { MaxDegreeOfParallelism = options.Value.PurgeParallelism, CancellationToken = ct },
            async (patientId, token) =>
            {
                var tally = dryRun ? await CountAsync(patientId, token) : await PurgeAsync(patientId, token);
                lock (gate)
                {
                    total = tally is null ? total : total.Add(tally);
                    progress?.Invoke(++done, expired.Count);
                }
            });
        return total;
    }

    /// <summary>Closed (active = false) with a closure date before the cut-off; a closed record without a date is kept (it cannot be proven expired).</summary>
    private static bool ClosedBefore(ResourceRow row, DateTimeOffset cutOff) =>
        ResourceStore.ToStored(row).Resource is Patient { Active: false } patient
        && RecordClosure.ClosedOn(patient) is { } closedOn && closedOn < cutOff;

    private static AuditRecord Trace(string patientId, DateTime now) => new()
    {
        RecordedAt = now,
        PatientId = patientId,
        RequesterKind = SystemRequester,
        Subject = SystemSubject,
        Name = "Purge of records closed more than ten years ago (CSP L1111-18)",
        Interaction = "delete",
        Method = "PURGE",
        Path = $"/fhir/Patient/{patientId}",
        ResourceType = "Patient",
        ResourceIds = $"Patient/{patientId}",
        HttpStatus = 200,
        Outcome = 0,
        RequestId = $"purge-{patientId}-{now:yyyyMMddHHmmss}",
    };
}
