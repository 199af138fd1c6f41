using System.Net;
using DmpApi.Access;
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
public sealed class PendingWrite(DmpDbContext db, AccessScope scope, string baseUrl, string resourceId)
{
    public DmpDbContext Db { get; } = db;
    /// <summary>Who writes: the rules record the author from the token, not from the body (DMP-RULES §3).</summary>
    public AccessScope Scope { get; } = scope;
    public string BaseUrl { get; } = baseUrl;
    public string ResourceId { get; } = resourceId;
    public List<BinaryRow> Binaries { get; } = [];
    /// <summary>The INS identities a Patient version holds; null when the write does not touch identities.</summary>
    public List<PatientIdentityRow>? Identities { get; set; }
    /// <summary>The current version this write replaces (an update), or null for a creation.</summary>
    public ResourceRow? Previous { get; init; }
    /// <summary>Documents this one replaces (DMP-RULES §3): marked superseded in the same transaction.</summary>
    public List<ResourceRow> Replaced { get; } = [];
}

/// <summary>One version ready to save: its row, index rows (pointing at the row), binaries, INS identities and the documents it replaces.</summary>
internal sealed record StagedVersion(
    ResourceRow Row, List<SearchIndexRow> IndexRows, List<BinaryRow> Binaries, List<PatientIdentityRow>? Identities, List<ResourceRow> Replaced, StoredResource Stored);

/// <summary>The business rules of one resource type, applied before every create or update (FHIR 422 when broken).</summary>
public interface IResourceRules
{
    string ResourceType { get; }

    /// <summary>Checks and completes the resource; returns the logical id of the Patient whose record holds it.</summary>
    Task<string> PrepareAsync(Resource resource, PendingWrite write, CancellationToken cancellationToken);
}

/// <summary>
/// Versioned FHIR resource storage (DESIGN §5): each write is one transaction holding the new version, its index
/// rows, the superseded flag on the previous version and any binaries; reads require an <see cref="AccessScope"/>.
/// </summary>
public sealed class ResourceStore(DmpDbContext db, IResourceIndexer indexer, IEnumerable<IResourceRules> rules, TimeProvider clock, WriteGate writeGate)
{
    private readonly Dictionary<string, IResourceRules> _rules = rules.ToDictionary(r => r.ResourceType);

    public DmpDbContext Db => db;

    public async Task<StoredResource?> ReadAsync(AccessScope scope, string type, string id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var row = await CurrentRowAsync(type, id, ct);
        return row is not null && await MayReadAsync(scope, row, ct) && ToStored(row) is var stored && await MaySeeAsync(scope, row, stored, ct) ? stored : null;
    }

    public async Task<StoredResource?> ReadVersionAsync(AccessScope scope, string type, string id, int version, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var row = await db.Resources.AsNoTracking()
            .Where(r => r.ResourceType == type && r.LogicalId == id && r.VersionId == version)
            .FirstOrDefaultAsync(ct);
        return row is not null && await MayReadAsync(scope, row, ct) && ToStored(row) is var stored && await MaySeeAsync(scope, row, stored, ct) ? stored : null;
    }

    public async Task<IReadOnlyList<StoredResource>> HistoryAsync(AccessScope scope, string type, string id, int count, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var rows = await db.Resources.AsNoTracking()
            .Where(r => r.ResourceType == type && r.LogicalId == id)
            .OrderByDescending(r => r.VersionId)
            .Take(count)
            .ToListAsync(ct);
        if (rows.Count == 0 || !await MayReadAsync(scope, rows[0], ct))
        {
            return [];
        }

        // A document hidden now is hidden in all its versions: its history looks absent too.
        var versions = rows.Select(ToStored).ToList();
        var current = versions[0].IsDeleted && versions.Count > 1 ? (rows[1], versions[1]) : (rows[0], versions[0]);
        return await MaySeeAsync(scope, current.Item1, current.Item2, ct) ? versions : [];
    }

    public async Task<StoredResource> CreateAsync(AccessScope scope, Resource resource, string baseUrl, CancellationToken ct) =>
        (await CreateAllAsync(scope, [resource], baseUrl, ct))[0];

    /// <summary>Creates every resource in one transaction, or none (a transaction Bundle, IHE MHD ITI-65).</summary>
    public async Task<IReadOnlyList<StoredResource>> CreateAllAsync(AccessScope scope, IReadOnlyList<Resource> resources, string baseUrl, CancellationToken ct)
    {
        var created = new List<StoredResource>(resources.Count);
        using var writer = await writeGate.EnterAsync(db, ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        foreach (var resource in resources)
        {
            var id = Guid.NewGuid().ToString("N");
            resource.Id = id;
            created.Add(await WriteVersionAsync(scope, resource, 1, baseUrl, previous: null, ct));
            if (resource is Patient && scope.Requester.IdNatPs is { } idNatPs)
            {
                // DMP-RULES §3: the professional who opens a record, with the patient present, is authorised on it.
                var permit = OpeningPermit(id, idNatPs, Now());
                permit.Id = Guid.NewGuid().ToString("N");
                await WriteVersionAsync(scope, permit, 1, baseUrl, previous: null, ct, checkAccess: false);
            }
        }

        await transaction.CommitAsync(ct);
        foreach (var patient in created.Where(c => c.ResourceType == "Patient"))
        {
            scope.Invalidate(patient.Id);
        }

        return created;
    }

    public async Task<StoredResource> UpdateAsync(AccessScope scope, Resource resource, int? expectedVersion, string baseUrl, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(resource.Id);
        using var writer = await writeGate.EnterAsync(db, ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var current = await CurrentRowAsync(resource.TypeName, resource.Id, ct);
        if (current is null || !await MayReadAsync(scope, current, ct))
        {
            throw FhirException.NotFound(resource.TypeName, resource.Id);
        }

        if (expectedVersion is { } expected && expected != current.VersionId)
        {
            throw VersionConflict(resource.TypeName, resource.Id, expected, current.VersionId);
        }

        var stored = await WriteVersionAsync(scope, resource, current.VersionId + 1, baseUrl, current, ct);
        await transaction.CommitAsync(ct);
        return stored;
    }

    /// <summary>Logical delete (FHIR R4 §3.1.0.7): a new version marked deleted; history stays readable.</summary>
    public async Task<bool> DeleteAsync(AccessScope scope, string type, string id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        using var writer = await writeGate.EnterAsync(db, ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var current = await CurrentRowAsync(type, id, ct);
        if (current is null || !await MayReadAsync(scope, current, ct))
        {
            return false;
        }

        RequireAuthorOfDocument(scope, current);
        if (current.PatientId is { } patientId)
        {
            await scope.RequireWriteAsync(patientId, declaresOwnPermit: false, feedsRecord: false, ct);
        }

        if (current.IsDeleted)
        {
            return true;
        }

        if (current.PatientId is { } changed && type is "Patient" or "Consent")
        {
            scope.Invalidate(changed);
        }

        await SupersedeAsync(current, ct);
        db.Resources.Add(new ResourceRow
        {
            ResourceType = type, LogicalId = id, VersionId = current.VersionId + 1, IsCurrent = true, IsDeleted = true,
            LastUpdated = Now(), PatientId = current.PatientId, Data = [],
            DepositorIdNatPs = current.DepositorIdNatPs, DepositedAt = current.DepositedAt, IsMasked = current.IsMasked, IsInvisibleToPatient = current.IsInvisibleToPatient,
        });
        if (type == "Patient")
        {
            // The INS is freed with the record, so that the patient can open a new one.
            await db.PatientIdentities.Where(p => p.PatientId == id).ExecuteDeleteAsync(ct);
        }

        await SaveAsync(type, id, current.VersionId, ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    private async Task<StoredResource> WriteVersionAsync(AccessScope scope, Resource resource, int version, string baseUrl, ResourceRow? previous, CancellationToken ct, bool checkAccess = true)
    {
        var staged = await StageVersionAsync(scope, resource, version, baseUrl, previous, ct, checkAccess);
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
    /// Everything a version writes, built but not yet saved: the resource's rules applied (and the write access checked),
    /// the row with its access columns, its index rows, binaries and identities. Seeding saves many of these at once.
    /// </summary>
    internal async Task<StagedVersion> StageVersionAsync(AccessScope scope, Resource resource, int version, string baseUrl, ResourceRow? previous, CancellationToken ct, bool checkAccess = true)
    {
        var type = resource.TypeName;
        ArgumentException.ThrowIfNullOrEmpty(resource.Id);
        var now = Now();
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = new DateTimeOffset(now);

        var write = new PendingWrite(db, scope, baseUrl, resource.Id) { Previous = previous };
        var patientId = _rules.TryGetValue(type, out var rule) ? await rule.PrepareAsync(resource, write, ct) : null;
        if (checkAccess && patientId is not null)
        {
            await RequireWriteAsync(scope, resource, patientId, opensRecord: previous is null && resource is Patient, ct);
        }

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
        if (resource is DocumentReference document)
        {
            var labels = document.SecurityLabel.SelectMany(l => Access.QualifiedCode.From(l)).ToHashSet();
            row.DepositorIdNatPs = previous is null ? scope.Requester.IdNatPs : previous.DepositorIdNatPs;
            row.DepositedAt = previous is null ? now : previous.DepositedAt;
            row.IsMasked = labels.Contains(Access.DmpCodes.Masked);
            row.IsInvisibleToPatient = labels.Contains(Access.DmpCodes.InvisibleToPatient);
        }

        var indexRows = indexer.IndexRows(resource, patientId);
        foreach (var entry in indexRows)
        {
            entry.Resource = row;
        }

        return new StagedVersion(row, indexRows, write.Binaries, write.Identities, write.Replaced, new StoredResource(type, resource.Id, version, false, now, resource, patientId));
    }

    /// <summary>
    /// The replaced document becomes `superseded` in the replacement's transaction (DMP-RULES §3, IHE MHD); of two
    /// concurrent replacements of one document, the second finds it already superseded and fails whole.
    /// </summary>
    private async Task SupersedeDocumentAsync(AccessScope scope, ResourceRow replaced, string baseUrl, CancellationToken ct)
    {
        var document = (DocumentReference)ToStored(replaced).Resource!;
        document.Status = DocumentReferenceStatus.Superseded;
        try
        {
            await WriteVersionAsync(scope, document, replaced.VersionId + 1, baseUrl, replaced, ct, checkAccess: false);
        }
        catch (FhirException e) when (e.Status == HttpStatusCode.PreconditionFailed)
        {
            throw Documents.DocumentReplacement.AlreadyReplaced(replaced.LogicalId);
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
    private static async Task<bool> MayReadAsync(AccessScope scope, ResourceRow row, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return row.PatientId is not { } patientId || await scope.RequireReadAsync(patientId, ct) || row.ResourceType == "Patient";
    }

    /// <summary>DMP-RULES §2 rules 5–8 on one stored version (documents only; a deleted version shows as deleted).</summary>
    private static async Task<bool> MaySeeAsync(AccessScope scope, ResourceRow row, StoredResource stored, CancellationToken ct) =>
        row.ResourceType != "DocumentReference" || stored.IsDeleted || await scope.CanSeeDocumentAsync(row, stored.Resource as DocumentReference, ct);

    /// <summary>DMP-RULES §3: only a document's author deletes it (the patient masks it instead).</summary>
    private static void RequireAuthorOfDocument(AccessScope scope, ResourceRow current)
    {
        if (current.ResourceType == "DocumentReference" && !Documents.DocumentChanges.IsAuthor(scope.Requester, current))
        {
            throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                "Only the author of this document may delete it; the patient may mask it (MASQUE_PS) instead.");
        }
    }

    /// <summary>DMP-RULES §3: who may open a record, and who may add to or change one.</summary>
    private static async Task RequireWriteAsync(AccessScope scope, Resource resource, string patientId, bool opensRecord, CancellationToken ct)
    {
        var requester = scope.Requester;
        if (opensRecord)
        {
            // The patient opens their own record; a professional opens one with the patient present.
            if (requester.Kind == Auth.RequesterKind.Patient
                && !((Patient)resource).Identifier.Any(i => i.Value is { } v && Patients.Ins.Normalize(v) == Patients.Ins.Normalize(requester.Ins ?? string.Empty)))
            {
                throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                    "A patient opens only their own record: the Patient must carry the INS of your token.");
            }

            return;
        }

        var declaresOwnPermit = resource is Consent consent && requester.IdNatPs is { } idNatPs && Access.ConsentDirectives.Read(consent).Directives is { Count: > 0 } directives
            && directives.All(d => d.Kind == Access.ConsentDirectiveKind.Permit && d.IdNatPs == idNatPs);
        if (requester.Kind == Auth.RequesterKind.Professional && resource is Consent && !declaresOwnPermit)
        {
            // DMP-RULES §3: a professional records only their own permit (declaring the patient's agreement).
            throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                "A professional may only record a permit Consent naming themselves (the patient's agreement); other consent decisions are the patient's.");
        }

        await scope.RequireWriteAsync(patientId, declaresOwnPermit, feedsRecord: resource is DocumentReference or AllergyIntolerance, ct);
        if (resource is Patient or Consent)
        {
            scope.Invalidate(patientId);
        }
    }

    /// <summary>The permit Consent of the professional who opened the record (IHE PCF shape, DMP-RULES §5).</summary>
    internal static Consent OpeningPermit(string patientId, string idNatPs, DateTime now) => new()
    {
        Status = Consent.ConsentState.Active,
        Scope = new CodeableConcept(Access.DmpCodes.ConsentScopeSystem, Access.DmpCodes.PatientPrivacyScope),
        Category = [new CodeableConcept("http://loinc.org", "59284-0")],
        Patient = new ResourceReference($"Patient/{patientId}"),
        DateTime = new DateTimeOffset(now).ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture),
        Provision = new Consent.provisionComponent
        {
            Type = Consent.ConsentProvisionType.Permit,
            Actor =
            [
                new Consent.provisionActorComponent
                {
                    Role = new CodeableConcept(Access.DmpCodes.ParticipationTypeSystem, Access.DmpCodes.InformationRecipient),
                    Reference = new ResourceReference { Identifier = new Identifier(Access.DmpCodes.IdNatPsSystem, idNatPs) },
                },
            ],
            Purpose = [new Coding(Access.DmpCodes.ActReasonSystem, Access.DmpCodes.Treatment)],
        },
    };

    /// <summary>Compiled once: the read by id is the hottest query, and translating its expression tree on each call cost more than running it.</summary>
    private static readonly CompiledPerModel<Func<DmpDbContext, string, string, CancellationToken, Task<ResourceRow?>>> CurrentRowQuery =
        new(() => EF.CompileAsyncQuery((DmpDbContext db, string type, string id, CancellationToken ct) =>
            db.Resources.AsNoTracking().FirstOrDefault(r => r.ResourceType == type && r.LogicalId == id && r.IsCurrent)));

    private Task<ResourceRow?> CurrentRowAsync(string type, string id, CancellationToken ct) => CurrentRowQuery.For(db)(db, type, id, ct);

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
}
