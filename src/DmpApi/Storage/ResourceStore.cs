using System.Net;
using DmpApi.Fhir;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Storage;

/// <summary>
/// A stored version of a resource. One read back from a row keeps its FHIR JSON as written and is parsed only when its
/// model is needed (an access rule reading the body, an XML answer): a JSON answer sends the stored bytes.
/// </summary>
public sealed class StoredResource : IStoredEntry
{
    private Resource? _resource;

    public StoredResource(string resourceType, string id, int version, bool isDeleted, DateTime lastUpdated, Resource? resource, string? patientId) =>
        (ResourceType, Id, Version, IsDeleted, LastUpdated, _resource, PatientId) = (resourceType, id, version, isDeleted, lastUpdated, resource, patientId);

    internal StoredResource(ResourceRow row)
    {
        (ResourceType, Id, Version, IsDeleted, LastUpdated, PatientId) =
            (row.ResourceType, row.LogicalId, row.VersionId, row.IsDeleted, DateTime.SpecifyKind(row.LastUpdated, DateTimeKind.Utc), row.PatientId);
        Json = row.IsDeleted ? null : ResourceCompression.Decompress(row.Data);
    }

    public string ResourceType { get; }
    public string Id { get; }
    public int Version { get; }
    public bool IsDeleted { get; }
    public DateTime LastUpdated { get; }
    /// <summary>The record the version belongs to (DESIGN §1), null for resources outside any record.</summary>
    public string? PatientId { get; }
    /// <summary>The FHIR JSON as the store wrote it, when read from a row (null for a deleted version).</summary>
    public byte[]? Json { get; }
    public Resource? Resource => _resource ??= Json is null ? null : FhirWire.DeserializeStored(Json);
}

/// <summary>What a write adds beside the resource row, collected by the resource's rules and saved in the same transaction.</summary>
public sealed class PendingWrite(DmpDbContext db, IRecordAccess scope, string baseUrl, string resourceId)
{
    public DmpDbContext Db { get; } = db;
    /// <summary>Who writes: the rules record the author from the token, not from the body (DMP-RULES §3).</summary>
    public IRecordAccess Scope { get; } = scope;
    public string BaseUrl { get; } = baseUrl;
    public string ResourceId { get; } = resourceId;
    public List<BinaryRow> Binaries { get; } = [];
    /// <summary>The INS identities a Patient version holds; null when the write does not touch identities.</summary>
    public List<PatientIdentityRow>? Identities { get; set; }
    /// <summary>The current version this write replaces (an update), or null for a creation.</summary>
    public ResourceRow? Previous { get; init; }
    /// <summary>The server writes this version as the consequence of another write it already decided (a deletion's List entries).</summary>
    public bool IsConsequence { get; init; }
    /// <summary>Documents this one replaces (DMP-RULES §3): marked superseded in the same transaction.</summary>
    public List<ResourceRow> Replaced { get; } = [];
    /// <summary>The uniqueId a new document registers; its key refuses a second document with it.</summary>
    public List<DocumentUniqueIdRow> UniqueIds { get; } = [];
}

/// <summary>One version ready to save: its row, index rows (pointing at the row), binaries, INS identities and the documents it replaces.</summary>
internal sealed record StagedVersion(
    ResourceRow Row, List<SearchIndexRow> IndexRows, List<BinaryRow> Binaries, List<PatientIdentityRow>? Identities, List<ResourceRow> Replaced, StoredResource Stored)
{
    public IReadOnlyList<DocumentUniqueIdRow> UniqueIds { get; init; } = [];
}

/// <summary>The business rules of one resource type, applied before every create or update (FHIR 422 when broken).</summary>
public interface IResourceRules
{
    string ResourceType { get; }

    /// <summary>Checks and completes the resource; returns the logical id of the Patient whose record holds it.</summary>
    Task<string> PrepareAsync(Resource resource, PendingWrite write, CancellationToken cancellationToken);
}

/// <summary>
/// A type whose deletion is logical in its own terms (PDSm: a document is marked deleted, and so are the documents it
/// replaced): what the deletion row keeps of the resource, and which other current rows are deleted with it.
/// </summary>
public interface IDeletionRules
{
    Resource Tombstone(Resource current);

    Task<IReadOnlyList<ResourceRow>> DeletedWithAsync(Resource current, string? patientId, DmpDbContext db, CancellationToken ct);

    /// <summary>
    /// Other current rows the deletion changes, with their new versions (PDSm: the Lists that named a deleted document lose
    /// that entry), written in the deletion's transaction as its consequence.
    /// </summary>
    Task<IReadOnlyList<(ResourceRow Row, Resource Changed)>> ChangedWithAsync(IReadOnlyList<ResourceRow> deleted, DateTime now, DmpDbContext db, CancellationToken ct);
}

/// <summary>
/// Versioned FHIR resource storage (DESIGN §5): each write is one transaction holding the new version, its index
/// rows, the superseded flag on the previous version and any binaries; reads require an <see cref="AccessScope"/>.
/// </summary>
public sealed class ResourceStore(DmpDbContext db, IResourceIndexer indexer, IEnumerable<IResourceRules> rules, TimeProvider clock, WriteGate writeGate)
{
    private readonly Dictionary<string, IResourceRules> _rules = rules.ToDictionary(r => r.ResourceType);

    public DmpDbContext Db => db;

    /// <summary>The current version, when the access predicate lets it through; a deleted one answers as deleted (410).</summary>
    public Task<StoredResource?> ReadAsync(AccessPredicate visible, string type, string id, CancellationToken ct) =>
        LatestAsync(visible.Filter(db.Resources.AsNoTracking()).Where(r => r.ResourceType == type && r.LogicalId == id && r.IsCurrent), ct);

    /// <summary>One version; the predicate judges visibility on the resource's current state, so it applies to all its versions.</summary>
    public Task<StoredResource?> ReadVersionAsync(AccessPredicate visible, string type, string id, int version, CancellationToken ct) =>
        LatestAsync(visible.Filter(db.Resources.AsNoTracking()).Where(r => r.ResourceType == type && r.LogicalId == id && r.VersionId == version), ct);

    public async Task<IReadOnlyList<StoredResource>> HistoryAsync(AccessPredicate visible, string type, string id, int count, CancellationToken ct)
    {
        var rows = await visible.Filter(db.Resources.AsNoTracking())
            .Where(r => r.ResourceType == type && r.LogicalId == id)
            .OrderByDescending(r => r.VersionId)
            .Take(count)
            .ToListAsync(ct);
        return rows.Select(ToStored).ToList();
    }

    /// <summary>A document's content, when the predicate lets its document through.</summary>
    public Task<BinaryRow?> ReadBinaryAsync(AccessPredicate visible, string id, CancellationToken ct)
    {
        var documents = visible.Filter(db.Resources).Where(r => r.ResourceType == "DocumentReference" && r.IsCurrent);
        return db.Binaries.AsNoTracking().TagWith(AccessPredicate.Tag)
            .Where(b => b.LogicalId == id && documents.Any(r => r.LogicalId == b.DocumentId))
            .FirstOrDefaultAsync(ct);
    }

    private static async Task<StoredResource?> LatestAsync(IQueryable<ResourceRow> rows, CancellationToken ct) =>
        await rows.FirstOrDefaultAsync(ct) is { } row ? ToStored(row) : null;

    public async Task<StoredResource> CreateAsync(IRecordAccess scope, Resource resource, string baseUrl, CancellationToken ct) =>
        (await CreateAllAsync(scope, [resource], baseUrl, ct))[0];

    /// <summary>Creates every resource in one transaction, or none (a transaction Bundle, IHE MHD ITI-65).</summary>
    /// <param name="link">Called once every resource has its id, before any is written: a transaction Bundle's references between its entries become these ids.</param>
    public async Task<IReadOnlyList<StoredResource>> CreateAllAsync(IRecordAccess scope, IReadOnlyList<Resource> resources, string baseUrl, CancellationToken ct,
        Action? link = null) =>
        (await WriteAllAsync(scope, resources, [], baseUrl, ct, link)).Created;

    /// <summary>
    /// Creates the resources, then writes the new versions of stored ones, in one transaction or not at all (IHE MHD ITI-65 with
    /// PDSm's PATCH entries): each update applies to the version it was computed on (412 otherwise, and nothing is written).
    /// </summary>
    public async Task<(IReadOnlyList<StoredResource> Created, IReadOnlyList<StoredResource> Updated)> WriteAllAsync(IRecordAccess scope,
        IReadOnlyList<Resource> resources, IReadOnlyList<(Resource Resource, int ExpectedVersion)> updates, string baseUrl, CancellationToken ct, Action? link = null)
    {
        var created = new List<StoredResource>(resources.Count);
        foreach (var resource in resources)
        {
            resource.Id = Guid.NewGuid().ToString("N");
        }

        link?.Invoke();
        using var writer = await writeGate.EnterAsync(db, ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        foreach (var resource in resources)
        {
            var id = resource.Id!;
            created.Add(await WriteVersionAsync(scope, resource, 1, baseUrl, previous: null, ct));
            if (resource is Patient && scope.OpeningPermit(id, Now()) is { } permit)
            {
                // DMP-RULES §3: the professional who opens a record, with the patient present, is authorised on it.
                permit.Id = Guid.NewGuid().ToString("N");
                await WriteVersionAsync(scope, permit, 1, baseUrl, previous: null, ct, decided: WriteDecision.Allowed);
            }
        }

        var updated = new List<StoredResource>(updates.Count);
        foreach (var (resource, expectedVersion) in updates)
        {
            updated.Add(await UpdateWithinAsync(scope, resource, expectedVersion, baseUrl, ct));
        }

        await transaction.CommitAsync(ct);
        foreach (var patient in created.Where(c => c.ResourceType == "Patient"))
        {
            scope.Invalidate(patient.Id);
        }

        return (created, updated);
    }

    public async Task<StoredResource> UpdateAsync(IRecordAccess scope, Resource resource, int? expectedVersion, string baseUrl, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource.Id);
        using var writer = await writeGate.EnterAsync(db, ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var stored = await UpdateWithinAsync(scope, resource, expectedVersion, baseUrl, ct);
        await transaction.CommitAsync(ct);
        return stored;
    }

    private async Task<StoredResource> UpdateWithinAsync(IRecordAccess scope, Resource resource, int? expectedVersion, string baseUrl, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource.Id);
        var current = await CurrentRowAsync(resource.TypeName, resource.Id, ct);
        if (current is null || !await MayReadAsync(scope, current, ct))
        {
            throw FhirException.NotFound(resource.TypeName, resource.Id);
        }

        if (expectedVersion is { } expected && expected != current.VersionId)
        {
            throw VersionConflict(resource.TypeName, resource.Id, expected, current.VersionId);
        }

        return await WriteVersionAsync(scope, resource, current.VersionId + 1, baseUrl, current, ct);
    }

    /// <summary>
    /// An update the server computes from the current version inside the write transaction (PATCH, FHIR R4 §3.1.0.6),
    /// decided by the write door alone: the caller has either read the resource under its read decision already, or
    /// gives <paramref name="change"/> only what the requester may change without reading it (a death feed, issue 14).
    /// 404 when there is no such resource, 410 when it is deleted, 412 when it is not at <paramref name="expectedVersion"/>.
    /// </summary>
    public async Task<StoredResource> PatchAsync(IRecordAccess scope, string type, string id, Func<Resource, Resource> change, int? expectedVersion, string baseUrl, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(change);
        using var writer = await writeGate.EnterAsync(db, ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var current = await CurrentRowAsync(type, id, ct) ?? throw FhirException.NotFound(type, id);
        if (expectedVersion is { } expected && expected != current.VersionId)
        {
            throw VersionConflict(type, id, expected, current.VersionId);
        }

        if (current.IsDeleted)
        {
            throw FhirRequest.Gone(type, id);
        }

        var changed = change(ToStored(current).Resource!);
        if (changed.TypeName != type || changed.Id != id)
        {
            throw FhirException.Unprocessable("A patch cannot change the resource's type or id.", OperationOutcome.IssueType.Invariant);
        }

        var stored = await WriteVersionAsync(scope, changed, current.VersionId + 1, baseUrl, current, ct);
        await transaction.CommitAsync(ct);
        return stored;
    }

    /// <summary>Logical delete (FHIR R4 §3.1.0.7): a new version marked deleted; history stays readable.</summary>
    /// <param name="expectedVersion">The version the deletion was asked of (If-Match, PDSm st_maj.md flux 04): 412 when the resource moved on.</param>
    public async Task<bool> DeleteAsync(IRecordAccess scope, string type, string id, CancellationToken ct, int? expectedVersion = null)
    {
        ArgumentNullException.ThrowIfNull(scope);
        using var writer = await writeGate.EnterAsync(db, ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var current = await CurrentRowAsync(type, id, ct);
        if (current is null || !await MayReadAsync(scope, current, ct))
        {
            return false;
        }

        await scope.AuthorizeAsync(new WriteIntent(type, current.PatientId, null, current, []), ct);
        if (expectedVersion is { } expected && expected != current.VersionId)
        {
            throw VersionConflict(type, id, expected, current.VersionId);
        }

        if (current.IsDeleted)
        {
            return true;
        }

        if (current.PatientId is { } changed && type is "Patient" or "Consent")
        {
            scope.Invalidate(changed);
        }

        var deletion = _rules.GetValueOrDefault(type) as IDeletionRules;
        var deleted = new List<ResourceRow> { current };
        if (deletion is not null)
        {
            deleted.AddRange(await deletion.DeletedWithAsync(ToStored(current).Resource!, current.PatientId, db, ct));
        }

        foreach (var row in deleted.DistinctBy(r => r.Id))
        {
            await SupersedeAsync(row, ct);
            db.Resources.Add(new ResourceRow
            {
                ResourceType = row.ResourceType, LogicalId = row.LogicalId, VersionId = row.VersionId + 1, IsCurrent = true, IsDeleted = true,
                LastUpdated = Now(), PatientId = row.PatientId,
                // Kept for the history the server holds (PDSm: the deletion is logical), never served.
                Data = deletion is null ? [] : ResourceCompression.Compress(FhirWire.SerializeJson(deletion.Tombstone(ToStored(row).Resource!))),
                DepositorIdNatPs = row.DepositorIdNatPs, DepositedAt = row.DepositedAt, IsMasked = row.IsMasked, IsInvisibleToPatient = row.IsInvisibleToPatient,
                ConsentAudience = row.ConsentAudience,
            });
        }

        await SaveAsync(type, id, current.VersionId, ct);
        if (deletion is not null)
        {
            foreach (var (row, consequence) in await deletion.ChangedWithAsync(deleted, Now(), db, ct))
            {
                await WriteVersionAsync(scope, consequence, row.VersionId + 1, string.Empty, row, ct, decided: WriteDecision.Allowed);
            }
        }

        await transaction.CommitAsync(ct);
        return true;
    }

    private async Task<StoredResource> WriteVersionAsync(IRecordAccess scope, Resource resource, int version, string baseUrl, ResourceRow? previous, CancellationToken ct, WriteDecision? decided = null)
    {
        var staged = await StageVersionAsync(scope, resource, version, baseUrl, previous, ct, decided);
        if (previous is not null)
        {
            if (previous.PatientId != staged.Row.PatientId)
            {
                throw FhirException.Unprocessable($"A {staged.Stored.ResourceType} cannot move to another patient's record; create it in that record instead.");
            }

            await SupersedeAsync(previous, ct);
        }

        db.Resources.Add(staged.Row);
        foreach (var entry in staged.IndexRows)
        {
            db.Add(entry);
        }

        db.Binaries.AddRange(staged.Binaries);
        db.DocumentUniqueIds.AddRange(staged.UniqueIds);
        if (staged.Identities is { } identities)
        {
            await db.PatientIdentities.Where(p => p.PatientId == resource.Id).ExecuteDeleteAsync(ct);
            db.PatientIdentities.AddRange(identities);
        }

        await SaveAsync(staged.Stored.ResourceType, staged.Stored.Id, previous?.VersionId, ct);
        foreach (var replaced in staged.Replaced)
        {
            await SupersedeDocumentAsync(scope, replaced, baseUrl, ct);
        }

        return staged.Stored;
    }

    /// <summary>
    /// Everything a version writes, built but not yet saved: the resource's rules applied, the write decided by the
    /// <see cref="IWriteGuard"/> (unless the caller passes the decision of the write this one follows from), the row with
    /// its access columns, its index rows, binaries and identities. Seeding saves many of these at once.
    /// </summary>
    internal async Task<StagedVersion> StageVersionAsync(IRecordAccess scope, Resource resource, int version, string baseUrl, ResourceRow? previous, CancellationToken ct, WriteDecision? decided = null)
    {
        var type = resource.TypeName;
        ArgumentException.ThrowIfNullOrEmpty(resource.Id);
        var now = Now();
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = new DateTimeOffset(now);

        var write = new PendingWrite(db, scope, baseUrl, resource.Id) { Previous = previous, IsConsequence = decided is not null };
        var patientId = _rules.TryGetValue(type, out var rule) ? await rule.PrepareAsync(resource, write, ct) : null;
        _ = decided ?? await scope.AuthorizeAsync(new WriteIntent(type, patientId, resource, previous, write.Replaced), ct);

        if (patientId is not null && resource is Patient or Consent)
        {
            // This transaction changes the record's access facts: what it reads of them from now on is not shared.
            scope.Invalidate(patientId);
        }

        var row = new ResourceRow
        {
            ResourceType = type, LogicalId = resource.Id, VersionId = version, IsCurrent = true, IsDeleted = false,
            LastUpdated = now, PatientId = patientId, Data = ResourceCompression.Compress(FhirWire.SerializeJson(resource)),
        };
        if (resource is DocumentReference)
        {
            row.DepositorIdNatPs = previous is null ? scope.Writer.Depositor : previous.DepositorIdNatPs;
            row.DepositedAt = previous is null ? now : previous.DepositedAt;
        }
        else if (resource is not (Patient or Consent))
        {
            // An allergy's or a profile entry's recorder, from the token as a document's author (DMP-RULES §3): who besides the patient changes it.
            row.DepositorIdNatPs = previous is null ? scope.Writer.Depositor : previous.DepositorIdNatPs;
        }

        scope.DescribeAccess(row, resource);

        var indexRows = indexer.IndexRows(resource, patientId);
        foreach (var entry in indexRows)
        {
            entry.Resource = row;
        }

        return new StagedVersion(row, indexRows, write.Binaries, write.Identities, write.Replaced, new StoredResource(type, resource.Id, version, false, now, resource, patientId))
        {
            UniqueIds = write.UniqueIds,
        };
    }

    /// <summary>
    /// The replaced document becomes `superseded` in the replacement's transaction (DMP-RULES §3, IHE MHD); of two
    /// concurrent replacements of one document, the second finds it already superseded and fails whole.
    /// </summary>
    private async Task SupersedeDocumentAsync(IRecordAccess scope, ResourceRow replaced, string baseUrl, CancellationToken ct)
    {
        var document = (DocumentReference)ToStored(replaced).Resource!;
        document.Status = DocumentReferenceStatus.Superseded;
        try
        {
            await WriteVersionAsync(scope, document, replaced.VersionId + 1, baseUrl, replaced, ct, decided: WriteDecision.Allowed);
        }
        catch (FhirException e) when (e.Status == HttpStatusCode.PreconditionFailed)
        {
            throw AlreadyReplaced(replaced.LogicalId);
        }
    }

    /// <summary>Marks the previous version superseded; the row count proves no concurrent writer got there first.</summary>
    private async Task SupersedeAsync(ResourceRow previous, CancellationToken ct)
    {
        var updated = await db.Resources
            .Where(r => r.Id == previous.Id && r.IsCurrent)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.IsCurrent, false), ct);
        if (updated == 0)
        {
            throw VersionConflict(previous.ResourceType, previous.LogicalId, previous.VersionId, null);
        }

        // Only the current version is searchable: its index rows go with it.
        await db.TokenIndex.Where(r => r.ResourceRowId == previous.Id).ExecuteDeleteAsync(ct);
        await db.StringIndex.Where(r => r.ResourceRowId == previous.Id).ExecuteDeleteAsync(ct);
        await db.DateIndex.Where(r => r.ResourceRowId == previous.Id).ExecuteDeleteAsync(ct);
        await db.ReferenceIndex.Where(r => r.ResourceRowId == previous.Id).ExecuteDeleteAsync(ct);
    }

    private async Task SaveAsync(string type, string id, int? previousVersion, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when (UniqueViolation.Matches(e))
        {
            if (e.Entries.Select(x => x.Entity).OfType<DocumentUniqueIdRow>().FirstOrDefault() is { } uniqueId)
            {
                throw DuplicateUniqueId(uniqueId);
            }

            // A failed batch lists all its entries (PostgreSQL, SQL Server): an INS row among them means the INS is taken.
            // Concurrent writers of one resource are stopped by SupersedeAsync first, so the version index rarely fires.
            if (previousVersion is { } v && e.Entries.Any(x => x.Entity is ResourceRow) && !e.Entries.Any(x => x.Entity is PatientIdentityRow))
            {
                throw VersionConflict(type, id, v, null);
            }

            throw new FhirException(HttpStatusCode.Conflict, OperationOutcome.IssueType.Duplicate,
                type == "Patient" ? "A Patient with this INS already exists: one record per INS." : $"{type}/{id} conflicts with a stored resource.");
        }
        finally
        {
            db.ChangeTracker.Clear();
        }
    }

    /// <summary>
    /// A row of a record is read under the record's decision (403 when denied); a row whose record no longer exists is
    /// found only as the Patient itself (so that its deletion answers 410).
    /// </summary>
    private static async Task<bool> MayReadAsync(IRecordAccess scope, ResourceRow row, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return row.PatientId is not { } patientId || await scope.RequireReadAsync(patientId, ct) || row.ResourceType == "Patient";
    }

    /// <summary>Compiled once: the read by id is the hottest query, and translating its expression tree on each call cost more than running it.</summary>
    private static readonly CompiledPerModel<Func<DmpDbContext, string, string, CancellationToken, Task<ResourceRow?>>> CurrentRowQuery =
        new(() => EF.CompileAsyncQuery((DmpDbContext db, string type, string id, CancellationToken ct) =>
            db.Resources.AsNoTracking().FirstOrDefault(r => r.ResourceType == type && r.LogicalId == id && r.IsCurrent)));

    private Task<ResourceRow?> CurrentRowAsync(string type, string id, CancellationToken ct) => CurrentRowQuery.For(db)(db, type, id, ct);

    /// <summary>
    /// The current version of a resource, read together with what its record's access decision needs to know it is
    /// current (issue 12: one round trip per read by id): the record's version stamp (count and newest key of its
    /// Patient, Consent and RelatedPerson rows, as Access reads it) and a document's type and security-label tokens.
    /// Nothing of the row may leave before the caller has decided on it (Access/AccessScope.ReadCurrentAsync).
    /// </summary>
    public Task<CurrentRow?> CurrentForDecisionAsync(string type, string id, CancellationToken ct) => CurrentForDecisionQuery.For(db)(db, type, id, ct);

    private static readonly CompiledPerModel<Func<DmpDbContext, string, string, CancellationToken, Task<CurrentRow?>>> CurrentForDecisionQuery =
        new(() => EF.CompileAsyncQuery((DmpDbContext db, string type, string id, CancellationToken ct) => db.Resources.AsNoTracking().TagWith(AccessPredicate.Tag)
            .Where(r => r.ResourceType == type && r.LogicalId == id && r.IsCurrent)
            .Select(r => new CurrentRow(
                r,
                // `?? ""`: a non-null right side, so EF compares with a plain `=` the record's index can seek, instead of
                // its null-compensating `= OR (both IS NULL)`, which PostgreSQL ran as two bitmap scans and an OR per subquery.
                r.PatientId == null ? 0 : db.Resources.Count(s => s.PatientId == (r.PatientId ?? "") && (s.ResourceType == "Patient" || s.ResourceType == "Consent" || s.ResourceType == "RelatedPerson")),
                r.PatientId == null ? 0 : db.Resources.Where(s => s.PatientId == (r.PatientId ?? "") && (s.ResourceType == "Patient" || s.ResourceType == "Consent" || s.ResourceType == "RelatedPerson")).Max(s => (long?)s.Id) ?? 0,
                // One string rather than a nested collection: EF shapes a collection with nested lambdas whose delegates
                // the compiled query created anew on every read (DynamicMethod.CreateDelegate, 2% of a read's CPU).
                string.Join(RowToken.Separator, db.TokenIndex.Where(t => t.ResourceRowId == r.Id && (t.ParamName == "type" || t.ParamName == "security-label"))
                    .Select(t => t.ParamName + RowToken.FieldSeparator + (t.System ?? "") + RowToken.FieldSeparator + (t.Code ?? "")))))
            .FirstOrDefault()));

    private DateTime Now()
    {
        // Millisecond precision: what every provider stores exactly, so meta.lastUpdated and the row agree.
        var now = clock.GetUtcNow().UtcDateTime;
        return new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
    }

    private static FhirException VersionConflict(string type, string id, int expected, int? actual) =>
        new(HttpStatusCode.PreconditionFailed, OperationOutcome.IssueType.Conflict,
            actual is null
                ? $"{type}/{id} was changed by another request since version {expected}; read it again and retry."
                : $"{type}/{id} is at version {actual}, not {expected} (If-Match); read it again and retry.");

    internal static StoredResource ToStored(ResourceRow row) => new(row);

    /// <summary>409 duplicate: IHE XDS XDSDuplicateUniqueIdInRegistry, as a FHIR create of a resource that already exists answers.</summary>
    public static FhirException DuplicateUniqueId(DocumentUniqueIdRow uniqueId) =>
        new(HttpStatusCode.Conflict, OperationOutcome.IssueType.Duplicate,
            $"A document with the uniqueId (masterIdentifier) {(uniqueId.System.Length > 0 ? uniqueId.System + "|" : string.Empty)}{uniqueId.Value} is already registered "
            + "(IHE XDS XDSDuplicateUniqueIdInRegistry): each document has its own uniqueId, a replacement included.");

    /// <summary>409: a document is replaced once; the newest version replaces the replacement instead (IHE MHD).</summary>
    public static FhirException AlreadyReplaced(string id) =>
        new(HttpStatusCode.Conflict, OperationOutcome.IssueType.Conflict,
            $"DocumentReference/{id} has already been replaced (status superseded); replace its replacement instead.");
}

/// <summary>A current row with its record's version stamp and the tokens a document's decision reads (<see cref="ResourceStore.CurrentForDecisionAsync"/>).</summary>
public sealed record CurrentRow(ResourceRow Row, int RecordVersions, long RecordLastRowId, string? PackedTokens)
{
    /// <summary>The row's type and security-label tokens, unpacked from the one string the statement returns.</summary>
    public IEnumerable<RowToken> Tokens => RowToken.Unpack(PackedTokens);
}

/// <summary>One token index entry of a row: parameter, system, code.</summary>
public sealed record RowToken(string ParamName, string? System, string? Code)
{
    // Neither a FHIR code nor a URI holds whitespace, so a newline and a tab cannot occur inside a token's fields.
    internal const string Separator = "\n";
    internal const string FieldSeparator = "\t";

    internal static IEnumerable<RowToken> Unpack(string? packed)
    {
        if (string.IsNullOrEmpty(packed))
        {
            yield break;
        }

        foreach (var token in packed.Split(Separator))
        {
            var fields = token.Split(FieldSeparator);
            if (fields.Length == 3)
            {
                yield return new RowToken(fields[0], fields[1].Length == 0 ? null : fields[1], fields[2].Length == 0 ? null : fields[2]);
            }
        }
    }
}
