using System.Net;
using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Notifications;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Access;

/// <summary>
/// What one requester may see and do in each record, for one request (DESIGN §2): no read method of the store runs
/// without one. A record's decision is taken on first use from its Patient and active Consents as stored now: their
/// directives come from <see cref="RecordDirectivesCache"/> only when the record's version stamp, read by this request,
/// is unchanged, so a revoked Consent takes effect on the next request.
/// </summary>
public sealed class AccessScope(
    Requester requester, DmpDbContext db, DocumentVisibility visibility, DateTimeOffset now,
    Action<string>? recordDecided = null, AccessNotifier? notifier = null, RecordDirectivesCache? cache = null)
{
    private readonly Dictionary<string, RecordDirectives?> _records = new(StringComparer.Ordinal);
    private readonly HashSet<string> _changedRecords = new(StringComparer.Ordinal);

    public Requester Requester { get; } = requester;

    public DateTimeOffset Now { get; } = now;

    /// <summary>Whether this request asked for an access decision: every read endpoint must (DESIGN §2; checked by a structural test).</summary>
    public bool Consulted { get; private set; }

    /// <summary>The read decision on a record (DMP-RULES §2 rules 1–4, 8); null when no such record exists.</summary>
    public async Task<AccessDecision?> DecideReadAsync(string patientId, CancellationToken ct)
    {
        Consulted = true;
        if (await DirectivesAsync(patientId, ct) is not { } record)
        {
            return null;
        }

        // The audit trail files the request under the record it was decided on, allowed or denied (DMP-RULES §4).
        recordDecided?.Invoke(patientId);
        var decision = RecordAccessRules.Decide(Requester, record, Now);
        AccessMetrics.Decided(decision);
        // DMP-RULES §4, CSP R1111-48: an allowed access by a professional notifies the patient (first access, every
        // emergency access, the médecins traitants too); recorded here, written by AccessScopeMiddleware after the endpoint.
        notifier?.Accessed(Requester, patientId, record, decision);

        return decision;
    }

    /// <summary>403 with the rule's actionable message when the record is denied; false when the record does not exist.</summary>
    public async Task<bool> RequireReadAsync(string patientId, CancellationToken ct)
    {
        var decision = await DecideReadAsync(patientId, ct);
        return decision is null ? false : decision.IsAllowed ? true : throw Denied(decision);
    }

    /// <summary>
    /// Adding to or changing an existing record (DMP-RULES §3). A professional declaring the patient's agreement (a
    /// permit naming only themselves) needs rules 1–2 only, as does the author of an earlier document of the record
    /// adding a document or an allergy (CSP R1111-46/47: feeding cannot be refused once authorised).
    /// </summary>
    public async Task RequireWriteAsync(string patientId, bool declaresOwnPermit, bool feedsRecord, CancellationToken ct)
    {
        Consulted = true;
        var record = await DirectivesAsync(patientId, ct)
            ?? throw FhirException.Unprocessable($"Patient/{patientId} is not an open record.", OperationOutcome.IssueType.NotFound);
        var decision = RecordAccessRules.DecideWrite(Requester, record, authoredEarlierDocument: declaresOwnPermit, Now);
        if (!decision.IsAllowed && feedsRecord && !declaresOwnPermit && Requester.IdNatPs is { Length: > 0 } idNatPs
            && await db.Resources.AnyAsync(r => r.PatientId == patientId && r.ResourceType == "DocumentReference" && r.IsCurrent && !r.IsDeleted
                && r.DepositorIdNatPs == idNatPs, ct))
        {
            decision = RecordAccessRules.DecideWrite(Requester, record, authoredEarlierDocument: true, Now);
        }

        if (!decision.IsAllowed)
        {
            throw Denied(decision);
        }
    }

    /// <summary>The records this requester's search may reach: the patient's own, or the ones a professional named and may read.</summary>
    public async Task<IReadOnlyList<string>> SearchableRecordsAsync(IReadOnlyCollection<string> namedPatientIds, CancellationToken ct)
    {
        Consulted = true;
        var ownIns = Requester.Ins is { } ins ? DmpApi.Patients.Ins.Normalize(ins) : string.Empty;
        var candidates = Requester.Kind == RequesterKind.Patient
            ? await db.PatientIdentities.AsNoTracking().Where(p => p.Value == ownIns).Select(p => p.PatientId).Distinct().ToListAsync(ct)
            : namedPatientIds;
        var allowed = new List<string>();
        foreach (var patientId in candidates)
        {
            if (await DecideReadAsync(patientId, ct) is not { } decision)
            {
                continue;
            }

            if (!decision.IsAllowed)
            {
                // DMP-RULES §2: a denied record answers 403; a patient's search is confined to their record instead.
                if (Requester.Kind == RequesterKind.Patient) continue;
                throw Denied(decision);
            }

            allowed.Add(patientId);
        }

        return allowed;
    }

    /// <summary>Which documents of a record this requester sees (DMP-RULES §2 rules 5–8); nothing when the record is denied or absent.</summary>
    public async Task<DocumentFilter> DocumentFilterAsync(string patientId, CancellationToken ct) =>
        await DecideReadAsync(patientId, ct) is { } decision ? visibility.FilterFor(Requester, decision, Now) : DocumentFilter.Nothing;

    /// <summary>Whether one stored document version is visible; a hidden one answers exactly as an absent one (404).</summary>
    public async Task<bool> CanSeeDocumentAsync(ResourceRow row, Hl7.Fhir.Model.DocumentReference? document, CancellationToken ct)
    {
        if (row.PatientId is not { } patientId || document is null)
        {
            return true;
        }

        var filter = await DocumentFilterAsync(patientId, ct);
        var deposited = new DateTimeOffset(DateTime.SpecifyKind(row.DepositedAt ?? row.LastUpdated, DateTimeKind.Utc));
        return filter.Matches(DocumentFacts.From(document, row.DepositorIdNatPs, deposited));
    }

    /// <summary>
    /// The record a patient reads as their own (traces, notifications: DMP-RULES §4), found by the INS of their token;
    /// professionals are refused whatever their scopes.
    /// </summary>
    public async Task<string> PatientsOwnRecordAsync(string refusedToProfessionals, string whenNoRecord, CancellationToken ct)
    {
        Consulted = true;
        if (Requester.Kind != RequesterKind.Patient || Requester.Ins is null)
        {
            throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden, refusedToProfessionals);
        }

        var ins = DmpApi.Patients.Ins.Normalize(Requester.Ins);
        return await db.PatientIdentities.AsNoTracking().Where(p => p.Value == ins).Select(p => p.PatientId).FirstOrDefaultAsync(ct)
            ?? throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden, whenNoRecord);
    }

    /// <summary>
    /// Forgets what was read of a record, as this request is changing its Patient or Consents: they are read again, and
    /// what is read of them inside the write transaction is never shared (it may be rolled back).
    /// </summary>
    public void Invalidate(string patientId)
    {
        _records.Remove(patientId);
        _changedRecords.Add(patientId);
    }

    /// <summary>Compiled once: every request that touches a record reads its stamp.</summary>
    private static readonly CompiledPerModel<Func<DmpDbContext, string, CancellationToken, Task<RecordStamp>>> StampQuery =
        new(() => EF.CompileAsyncQuery((DmpDbContext db, string patientId, CancellationToken ct) => db.Resources.AsNoTracking()
            .Where(r => r.PatientId == patientId && (r.ResourceType == "Patient" || r.ResourceType == "Consent"))
            .GroupBy(r => r.PatientId)
            .Select(g => new RecordStamp(g.Count(), g.Max(r => r.Id)))
            .FirstOrDefault()));

    private async Task<RecordDirectives?> DirectivesAsync(string patientId, CancellationToken ct)
    {
        if (_records.TryGetValue(patientId, out var known))
        {
            return known;
        }

        // The stamp first: directives read after it are at least as new as it says (statements see every earlier commit).
        var stamp = await StampQuery.For(db)(db, patientId, ct);
        if (cache is not null && cache.TryGet(patientId, stamp, out var cached))
        {
            _records[patientId] = cached;
            return cached;
        }

        var rows = await db.Resources.AsNoTracking()
            .Where(r => r.PatientId == patientId && r.IsCurrent && !r.IsDeleted && (r.ResourceType == "Patient" || r.ResourceType == "Consent"))
            .ToListAsync(ct);
        var patientRow = rows.FirstOrDefault(r => r.ResourceType == "Patient" && r.LogicalId == patientId);
        var record = patientRow is null
            ? null
            : RecordDirectives.Read(
                (Patient)ResourceStore.ToStored(patientRow).Resource!,
                rows.Where(r => r.ResourceType == "Consent").Select(r => (Consent)ResourceStore.ToStored(r).Resource!));
        _records[patientId] = record;
        if (db.Database.CurrentTransaction is null || !_changedRecords.Contains(patientId))
        {
            // A write transaction that changed this record's Patient or Consents reads rows it may roll back: not shared.
            // Otherwise the rows are committed ones (others' uncommitted rows are invisible), as the stamp says.
            cache?.Set(patientId, stamp, record);
        }

        return record;
    }

    private static FhirException Denied(AccessDecision decision) =>
        new(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden, decision.Denial!.Message);
}
