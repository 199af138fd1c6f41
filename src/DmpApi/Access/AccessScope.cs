using System.Linq.Expressions;
using System.Net;
using DmpApi.Auth;
using DmpApi.Fhir;
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
    Action<string>? recordDecided = null, IAccessDecisionObserver? notifier = null, RecordDirectivesCache? cache = null) : IRecordAccess
{
    private readonly Dictionary<string, RecordDirectives?> _records = new(StringComparer.Ordinal);
    private readonly HashSet<string> _changedRecords = new(StringComparer.Ordinal);

    public Requester Requester { get; } = requester;

    public Writer Writer { get; } = ResourceWriteRules.WriterOf(requester);

    public DateTimeOffset Now { get; } = now;

    /// <summary>Whether this request asked for an access decision: every read endpoint must (DESIGN §2; checked by a structural test).</summary>
    public bool Consulted { get; private set; }

    /// <inheritdoc/>
    public bool WriteDecided { get; private set; }

    /// <summary>
    /// The write door (DMP-RULES §3), asked by the store before it writes anything: the shape a DMP server can apply
    /// (422), the record-level decision (403), then the rules of the type (who changes what, 403; a Patient is never
    /// deleted, 405).
    /// </summary>
    public async Task<WriteDecision> AuthorizeAsync(WriteIntent intent, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(intent);
        WriteDecided = true;
        Consulted = true;
        if (intent.ResourceType == "Patient" && intent.Proposed is null)
        {
            throw PatientNotDeleted();
        }

        // Issue 15: a system (the Assurance Maladie feed) deposits documents and health profile entries, and nothing else.
        // Issue 14: one with the death-record right also updates a Patient, which ResourceWriteRules.Patient confines to recording the death.
        if (Requester.Kind == RequesterKind.System && intent.ResourceType != "DocumentReference" && !HealthProfile.Default.IsEntry(intent.ResourceType)
            && !(Requester.RecordsDeaths && intent.ResourceType == "Patient" && !intent.OpensRecord))
        {
            throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                $"A system feeds records with documents and health profile entries; it does not write {intent.ResourceType}.");
        }

        if (intent.Proposed is Consent consent && ResourceWriteRules.ConsentShapeProblem(consent) is { } problem)
        {
            throw FhirException.Unprocessable(problem, OperationOutcome.IssueType.Invalid);
        }

        if (intent.PatientId is not { } patientId)
        {
            return WriteDecision.Allowed;
        }

        if (intent.OpensRecord)
        {
            if (Requester.Kind == RequesterKind.Representative)
            {
                throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                    "A minor's record is opened by a professional, with a legal representative present, who then records you as a RelatedPerson.");
            }

            // The patient opens their own record; a professional opens one with the patient present.
            if (Requester.Kind == RequesterKind.Patient
                && !((Patient)intent.Proposed!).Identifier.Any(i => i.Value is { } v && DmpApi.Patients.Ins.Normalize(v) == DmpApi.Patients.Ins.Normalize(Requester.Ins ?? string.Empty)))
            {
                throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                    "A patient opens only their own record: the Patient must carry the INS of your token.");
            }

            return WriteDecision.Allowed;
        }

        var stored = intent.Stored;
        var declaresOwnPermit = intent.ResourceType == "Consent" && (intent.Proposed ?? stored) is Consent own && ResourceWriteRules.IsOwnPermit(own, Requester.IdNatPs);
        var reopens = Requester.ActsForHolder && stored is Patient { Active: false } && intent.Proposed is Patient { Active: not false };
        var feeds = intent.Proposed is DocumentReference or AllergyIntolerance or List || HealthProfile.Default.IsEntry(intent.ResourceType);
        // Issue 14: a death is a fact, recorded on a record its holder closed too (ResourceWriteRules.Patient confines it to the death).
        var recordsDeath = Requester.RecordsDeaths && intent.ResourceType == "Patient";
        await RequireWriteAsync(patientId, declaresOwnPermit, feeds, ct, reopens || recordsDeath);

        var refusal = intent.ResourceType switch
        {
            "Consent" => ResourceWriteRules.Consent(Requester, stored as Consent, intent.Proposed as Consent),
            "Patient" when stored is Patient before && intent.Proposed is Patient after => ResourceWriteRules.Patient(Requester, before, after),
            "AllergyIntolerance" when intent.Current is { } row => ResourceWriteRules.Allergy(Requester, row.DepositorIdNatPs),
            "RelatedPerson" => ResourceWriteRules.RelatedPerson(Requester, stored as RelatedPerson),
            "List" when intent.Current is { } row => ResourceWriteRules.List(Requester, row.DepositorIdNatPs),
            var type when HealthProfile.Default.IsEntry(type) =>
                HealthProfile.Default.Write(Requester, type, Writer.Depositor, intent.Current?.DepositorIdNatPs, stored, intent.Proposed),
            _ => null,
        };
        if (refusal is not null)
        {
            throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden, refusal);
        }

        if (intent.ResourceType == "DocumentReference")
        {
            if (intent.Current is { } current && intent.Proposed is DocumentReference changed && stored is DocumentReference before)
            {
                DocumentWriteRules.Check(before, changed, current, Requester);
            }
            else if (intent.Current is { } deleted && intent.Proposed is null)
            {
                DocumentWriteRules.CheckDelete(Requester, deleted);
            }

            foreach (var replaced in intent.Replaced)
            {
                DocumentWriteRules.CheckReplacement(Requester, replaced);
            }
        }

        if (intent.ResourceType is "Patient" or "Consent" or "RelatedPerson")
        {
            Invalidate(patientId);
        }

        return WriteDecision.Allowed;
    }

    /// <summary>
    /// The access predicate of a read by id (read, vread, history, a Binary's document; issue 11): the record of the
    /// resource decided first (403 when denied), then within it a document judged on its current version, for all its
    /// versions, and a Consent by its audience. A record that no longer exists shows only its Patient (deleted: 410).
    /// </summary>
    public async Task<AccessPredicate> ReadPredicateAsync(string type, string id, CancellationToken ct)
    {
        Consulted = true;
        var located = await LocateQuery.For(db)(db, type, id, ct);
        if (located is null)
        {
            return AccessPredicate.Nothing;
        }

        if (located.PatientId is not { } patientId)
        {
            return new(r => r.PatientId == null);
        }

        if (!await RequireReadAsync(patientId, ct))
        {
            return type == "Patient" ? new(r => r.PatientId == patientId) : AccessPredicate.Nothing;
        }

        Expression<Func<ResourceRow, bool>> inRecord = r => r.PatientId == patientId;
        return type switch
        {
            // PDSm logical deletion: no version of a deleted document is readable, by anyone (404, not 410).
            "DocumentReference" => new(Predicates.And(inRecord, CurrentVersionMatches(
                Predicates.And(r => !r.IsDeleted, DocumentPredicates.For(db, patientId, await DocumentFilterAsync(patientId, ct))), deletionReadable: false))),
            "Consent" => new(Predicates.And(inRecord, ConsentPredicate())),
            // A List is read as the documents it names: hidden when it names one the requester may not see (docs/ACCESS-RULES.md).
            "List" => new(Predicates.And(inRecord, CurrentVersionMatches(ListPredicates.NamesNoHiddenDocument(db, DocumentPredicates.For(db, patientId, await DocumentFilterAsync(patientId, ct)))))),
            // A hidden entry is hidden in all its versions, as a masked document is.
            _ when HealthProfile.Default.IsEntry(type) => new(Predicates.And(inRecord, CurrentVersionMatches(await HealthProfilePredicateAsync(patientId, type, ct)))),
            _ => new(inRecord),
        };
    }

    /// <summary>
    /// A read of the current version (FHIR read) in one statement when the record's cached decision is current: the row
    /// comes with its record's stamp and a document's tokens, and is judged in memory by the same rules as
    /// <see cref="ReadPredicateAsync"/> (<see cref="DocumentFilter.Matches"/>, <see cref="CanSeeConsent"/>). A stale or
    /// missing stamp costs the directives query; the types whose predicate reads other rows (a List, a health profile
    /// entry) go through the predicate. Null when absent or hidden (404); 403 when the record is denied.
    /// </summary>
    public async Task<StoredResource?> ReadCurrentAsync(ResourceStore store, string type, string id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(store);
        Consulted = true;
        if (type == "List" || HealthProfile.Default.IsEntry(type))
        {
            return await store.ReadAsync(await ReadPredicateAsync(type, id, ct), type, id, ct);
        }

        if (await store.CurrentForDecisionAsync(type, id, ct) is not { } current)
        {
            return null;
        }

        var row = current.Row;
        if (row.PatientId is not { } patientId)
        {
            return ResourceStore.ToStored(row);
        }

        var decision = await DecideReadAsync(patientId, new RecordStamp(current.RecordVersions, current.RecordLastRowId), ct);
        if (decision is null)
        {
            // No record any more: only its Patient answers (deleted, 410), as in ReadPredicateAsync.
            return type == "Patient" ? ResourceStore.ToStored(row) : null;
        }

        if (!decision.IsAllowed)
        {
            throw Denied(decision);
        }

        var visible = type switch
        {
            // PDSm logical deletion: a deleted document is absent (404), as in ReadPredicateAsync.
            "DocumentReference" => !row.IsDeleted && DocumentFilterFor(decision).Matches(FactsOf(row, current.Tokens)),
            "Consent" => CanSeeConsent(row),
            _ => true,
        };
        return visible ? ResourceStore.ToStored(row) : null;
    }

    /// <summary>
    /// Whether a current document row is visible under a filter, judged in memory from the row and its `type` and
    /// `security-label` tokens exactly as <see cref="DocumentPredicates.For"/> judges it in SQL (a search's page of one
    /// record, issue 12); a deleted document never is.
    /// </summary>
    public static bool CanSeeCurrentDocument(DocumentFilter filter, ResourceRow row, IEnumerable<RowToken> tokens)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(row);
        return !row.IsDeleted && filter.Matches(FactsOf(row, tokens));
    }

    /// <summary>A document's facts as the SQL predicate reads them: types and the representatives' label from the token index, the rest from the access columns.</summary>
    private static DocumentFacts FactsOf(ResourceRow row, IEnumerable<RowToken> tokens)
    {
        var types = new List<QualifiedCode>();
        var labels = new HashSet<QualifiedCode>();
        foreach (var token in tokens)
        {
            if (token.System is not { } system || token.Code is not { } code) continue;
            if (token.ParamName == "type") types.Add(new QualifiedCode(system, code));
            else if (new QualifiedCode(system, code) == DmpCodes.InvisibleToRepresentatives) labels.Add(DmpCodes.InvisibleToRepresentatives);
        }

        if (row.IsMasked) labels.Add(DmpCodes.Masked);
        if (row.IsInvisibleToPatient) labels.Add(DmpCodes.InvisibleToPatient);
        // SQL compares DepositedAt <= cut-off, which a missing deposit time never meets.
        var deposited = row.DepositedAt is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : DateTimeOffset.MaxValue;
        return new DocumentFacts(types, labels, string.IsNullOrEmpty(row.DepositorIdNatPs) ? null : row.DepositorIdNatPs, deposited);
    }

    /// <summary>
    /// The current resources of a type with this business identifier (`system|value`, or a value in any system), across
    /// records: located to decide on each (a conditional interaction, PDSm conditional PATCH); the caller reads each through
    /// <see cref="ReadPredicateAsync"/>, so a hidden one stays absent.
    /// </summary>
    public async Task<IReadOnlyList<string>> LocateByIdentifierAsync(string type, string identifier, CancellationToken ct)
    {
        Consulted = true;
        var bar = identifier.IndexOf('|', StringComparison.Ordinal);
        var (system, value) = bar < 0 ? (null, identifier) : (identifier[..bar], identifier[(bar + 1)..]);
        return await db.TokenIndex.AsNoTracking().TagWith(AccessPredicate.DecisionTag)
            .Where(t => t.ResourceType == type && t.ParamName == "identifier" && t.Code == value && (system == null || t.System == system))
            .Select(t => t.Resource!.LogicalId).Distinct().Take(10).ToListAsync(ct);
    }

    /// <summary>The Binary's document, located to decide on it (a Binary is read as its document is: DESIGN §4).</summary>
    public Task<string?> DocumentOfBinaryAsync(string binaryId, CancellationToken ct)
    {
        Consulted = true;
        return db.Binaries.AsNoTracking().TagWith(AccessPredicate.DecisionTag).Where(b => b.LogicalId == binaryId).Select(b => b.DocumentId).FirstOrDefaultAsync(ct);
    }

    /// <summary>
    /// r ⇒ the current row of r's logical resource meets the predicate: visibility decided on the current state applies to
    /// every version (issue 11, finding 7). A deleted document is judged on its deletion row, which keeps its labels.
    /// </summary>
    private Expression<Func<ResourceRow, bool>> CurrentVersionMatches(Expression<Func<ResourceRow, bool>> deciding, bool deletionReadable = true)
    {
        var r = Expression.Parameter(typeof(ResourceRow), "r");
        Expression<Func<ResourceRow, bool>> current = x => x.IsCurrent;
        var combined = Predicates.And(current, deciding);
        var c = combined.Parameters[0];
        var sameResource = Expression.AndAlso(
            Expression.Equal(Expression.Property(c, nameof(ResourceRow.LogicalId)), Expression.Property(r, nameof(ResourceRow.LogicalId))),
            Expression.Equal(Expression.Property(c, nameof(ResourceRow.ResourceType)), Expression.Property(r, nameof(ResourceRow.ResourceType))));
        var inner = Expression.Lambda<Func<ResourceRow, bool>>(Expression.AndAlso(sameResource, combined.Body), c);
        var rows = Expression.Property(Expression.Constant(db), nameof(DmpDbContext.Resources));
        var any = Expression.Call(typeof(Queryable), nameof(Queryable.Any), [typeof(ResourceRow)], rows, Expression.Quote(inner));
        // The deletion itself carries no content: it answers as deleted (410) to whoever may read the record.
        return deletionReadable
            ? Expression.Lambda<Func<ResourceRow, bool>>(Expression.OrElse(Expression.Property(r, nameof(ResourceRow.IsDeleted)), any), r)
            : Expression.Lambda<Func<ResourceRow, bool>>(any, r);
    }

    /// <inheritdoc/>
    public void DescribeAccess(ResourceRow row, Resource resource)
    {
        switch (resource)
        {
            case DocumentReference document:
                var labels = document.SecurityLabel.SelectMany(l => QualifiedCode.From(l)).ToHashSet();
                row.IsMasked = labels.Contains(DmpCodes.Masked);
                row.IsInvisibleToPatient = labels.Contains(DmpCodes.InvisibleToPatient);
                break;
            case Consent consent:
                row.ConsentAudience = ResourceWriteRules.ConsentAudience(consent);
                break;
            case var entry when HealthProfile.Default.IsEntry(entry.TypeName):
                row.IsMasked = HealthProfile.IsHidden(entry);
                break;
        }
    }

    /// <inheritdoc/>
    public Consent? OpeningPermit(string patientId, DateTime now) =>
        Requester.Kind == RequesterKind.Professional && Requester.IdNatPs is { Length: > 0 } idNatPs ? ResourceWriteRules.OpeningPermit(patientId, idNatPs, now) : null;

    /// <summary>DMP-RULES §3: the record is closed by its holder, never destroyed (the purge ten years after closure aside).</summary>
    public static FhirException PatientNotDeleted() =>
        new(HttpStatusCode.MethodNotAllowed, OperationOutcome.IssueType.NotSupported,
            "A DMP record is never deleted: close the record instead (the patient sets Patient.active = false); it is purged ten years after closure.");

    /// <summary>The read decision on a record (DMP-RULES §2 rules 1–4, 8); null when no such record exists.</summary>
    public Task<AccessDecision?> DecideReadAsync(string patientId, CancellationToken ct) => DecideReadAsync(patientId, null, ct);

    /// <summary>The read decision, the record's stamp already read by the caller's own statement (null: read it now).</summary>
    private async Task<AccessDecision?> DecideReadAsync(string patientId, RecordStamp? stamp, CancellationToken ct)
    {
        Consulted = true;
        if (await DirectivesAsync(patientId, ct, stamp) is not { } record)
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

    /// <summary>
    /// A professional's decision on a record from its cached directives, with the stamp they were read at, for a caller that
    /// reads the stamp in its own statement (a search's page, issue 12) and then confirms it with
    /// <see cref="ConfirmDecisionAsync"/>; nothing is recorded yet. Null when not cached (or already decided in this request).
    /// </summary>
    public (AccessDecision Decision, RecordStamp Stamp)? CachedDecision(string patientId) =>
        Requester.Kind == RequesterKind.Professional && !_records.ContainsKey(patientId) && !_changedRecords.Contains(patientId)
        && cache is not null && cache.TryPeek(patientId, out var stamp, out var record) && record is not null
            ? (RecordAccessRules.Decide(Requester, record, Now), stamp)
            : null;

    /// <summary>The read decision on a record whose stamp the caller's own statement read: taken from the cache when unchanged, recorded as any decision.</summary>
    public Task<AccessDecision?> ConfirmDecisionAsync(string patientId, RecordStamp stamp, CancellationToken ct) => DecideReadAsync(patientId, stamp, ct);

    /// <summary>The rows a record's stamp counts (<see cref="RecordStamp"/>): its Patient, Consents and RelatedPersons, all versions.</summary>
    public static IQueryable<ResourceRow> StampedRows(DmpDbContext db, string patientId) =>
        db.Resources.Where(r => r.PatientId == patientId && (r.ResourceType == "Patient" || r.ResourceType == "Consent" || r.ResourceType == "RelatedPerson"));

    /// <summary>403 with the rule's actionable message when the record is denied; false when the record does not exist.</summary>
    public async Task<bool> RequireReadAsync(string patientId, CancellationToken ct)
    {
        var decision = await DecideReadAsync(patientId, ct);
        return decision is null ? false : decision.IsAllowed ? true : throw Denied(decision);
    }

    /// <inheritdoc/>
    public async Task<bool> RecordExistsAsync(string patientId, CancellationToken ct) => await DirectivesAsync(patientId, ct) is not null;

    /// <summary>
    /// Adding to or changing an existing record (DMP-RULES §3). A professional declaring the patient's agreement (a
    /// permit naming only themselves) needs rules 1–2 only, as does the author of an earlier document of the record
    /// adding a document or an allergy (CSP R1111-46/47: feeding cannot be refused once authorised).
    /// </summary>
    private async Task RequireWriteAsync(string patientId, bool declaresOwnPermit, bool feedsRecord, CancellationToken ct, bool changesClosure = false)
    {
        Consulted = true;
        var record = await DirectivesAsync(patientId, ct)
            ?? throw FhirException.Unprocessable($"Patient/{patientId} is not an open record.", OperationOutcome.IssueType.NotFound);
        var decision = RecordAccessRules.DecideWrite(Requester, record, authoredEarlierDocument: declaresOwnPermit, Now, changesClosure);
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
        if (Requester.Kind == RequesterKind.System)
        {
            throw SystemReadsNothing();
        }

        var ownIns = Requester.HolderIns is { } ins ? DmpApi.Patients.Ins.Normalize(ins) : string.Empty;
        var candidates = Requester.ActsForHolder
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
                if (Requester.ActsForHolder) continue;
                throw Denied(decision);
            }

            allowed.Add(patientId);
        }

        return allowed;
    }

    /// <summary>Which documents of a record this requester sees (DMP-RULES §2 rules 5–8); nothing when the record is denied or absent.</summary>
    public async Task<DocumentFilter> DocumentFilterAsync(string patientId, CancellationToken ct) =>
        DocumentFilterFor(await DecideReadAsync(patientId, ct));

    /// <summary>The documents a record's read decision shows (none when there is no such record).</summary>
    public DocumentFilter DocumentFilterFor(AccessDecision? decision) =>
        decision is { } decided ? visibility.FilterFor(Requester, decided, Now) : DocumentFilter.Nothing;

    /// <summary>The health profile entries of one type in a record this requester sees (issue 15), as a SQL predicate; nothing when the record is denied.</summary>
    public async Task<Expression<Func<ResourceRow, bool>>> HealthProfilePredicateAsync(string patientId, string type, CancellationToken ct) =>
        HealthProfilePredicate(patientId, type, await DecideReadAsync(patientId, ct));

    /// <summary>The entries of a type a record's read decision shows (none when there is no such record).</summary>
    public Expression<Func<ResourceRow, bool>> HealthProfilePredicate(string patientId, string type, AccessDecision? decision) =>
        decision is { } decided
            ? Predicates.And(r => r.PatientId == patientId, HealthProfile.Default.Visible(Requester, decided, type))
            : _ => false;

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
    /// DMP-RULES §3: the Consents a requester reads in a record they may read: the patient all of them, a professional
    /// those naming them and the record-wide oppositions (deny without actor), in every version.
    /// </summary>
    public Expression<Func<ResourceRow, bool>> ConsentPredicate()
    {
        if (Requester.ActsForHolder)
        {
            return _ => true;
        }

        var idNatPs = Requester.IdNatPs ?? string.Empty;
        return r => r.ConsentAudience == idNatPs || r.ConsentAudience == ResourceWriteRules.EveryProfessional;
    }

    /// <summary>The in-memory form of <see cref="ConsentPredicate"/>, for one row already read.</summary>
    public bool CanSeeConsent(ResourceRow row) =>
        Requester.ActsForHolder || (row.ConsentAudience is { } audience && (audience == Requester.IdNatPs || audience == ResourceWriteRules.EveryProfessional));

    /// <summary>
    /// The record a patient reads as their own (traces, notifications: DMP-RULES §4), found by the INS of their token;
    /// professionals are refused whatever their scopes.
    /// </summary>
    public async Task<string> PatientsOwnRecordAsync(string refusedToProfessionals, string whenNoRecord, CancellationToken ct)
    {
        Consulted = true;
        if (!Requester.ActsForHolder || Requester.HolderIns is null)
        {
            throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden, refusedToProfessionals);
        }

        var ins = DmpApi.Patients.Ins.Normalize(Requester.HolderIns);
        var record = await db.PatientIdentities.AsNoTracking().Where(p => p.Value == ins).Select(p => p.PatientId).FirstOrDefaultAsync(ct)
            ?? throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden, whenNoRecord);
        // Issue 14: a minor holder's record is their representatives'; a representative's ends at the holder's majority.
        // Decided without filing the request under this record: the caller files it under the record it asked about.
        if (await DirectivesAsync(record, ct) is { } directives && RecordAccessRules.Decide(Requester, directives, Now) is { IsAllowed: false } refused)
        {
            throw Denied(refused);
        }

        return record;
    }

    /// <summary>
    /// The idNatPs of a professional reading what is addressed to them by name, whatever the record (their notices,
    /// issue 15): the query is confined to it. Null for a patient, who goes through <see cref="PatientsOwnRecordAsync"/>.
    /// </summary>
    public string? ProfessionalsOwnIdentity()
    {
        Consulted = true;
        return Requester.Kind == RequesterKind.Professional && Requester.IdNatPs is { Length: > 0 } idNatPs ? idNatPs : null;
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

    /// <summary>Compiled once: every read by id locates its resource's record first.</summary>
    private static readonly CompiledPerModel<Func<DmpDbContext, string, string, CancellationToken, Task<Located?>>> LocateQuery =
        new(() => EF.CompileAsyncQuery((DmpDbContext db, string type, string id, CancellationToken ct) => db.Resources.AsNoTracking().TagWith(AccessPredicate.DecisionTag)
            .Where(r => r.ResourceType == type && r.LogicalId == id && r.IsCurrent)
            .Select(r => new Located(r.PatientId))
            .FirstOrDefault()));

    /// <summary>A current resource's record (null: outside any record).</summary>
    private sealed record Located(string? PatientId);

    /// <summary>Compiled once: every request that touches a record reads its stamp.</summary>
    private static readonly CompiledPerModel<Func<DmpDbContext, string, CancellationToken, Task<RecordStamp>>> StampQuery =
        new(() => EF.CompileAsyncQuery((DmpDbContext db, string patientId, CancellationToken ct) => db.Resources.AsNoTracking().TagWith(AccessPredicate.DecisionTag)
            .Where(r => r.PatientId == patientId && (r.ResourceType == "Patient" || r.ResourceType == "Consent" || r.ResourceType == "RelatedPerson"))
            .GroupBy(r => r.PatientId)
            .Select(g => new RecordStamp(g.Count(), g.Max(r => r.Id)))
            .FirstOrDefault()));

    private async Task<RecordDirectives?> DirectivesAsync(string patientId, CancellationToken ct, RecordStamp? readStamp = null)
    {
        if (_records.TryGetValue(patientId, out var known))
        {
            return known;
        }

        // The stamp first: directives read after it are at least as new as it says (statements see every earlier commit).
        var stamp = readStamp ?? await StampQuery.For(db)(db, patientId, ct);
        if (cache is not null && cache.TryGet(patientId, stamp, out var cached))
        {
            _records[patientId] = cached;
            return cached;
        }

        var rows = await db.Resources.AsNoTracking().TagWith(AccessPredicate.DecisionTag)
            .Where(r => r.PatientId == patientId && r.IsCurrent && !r.IsDeleted && (r.ResourceType == "Patient" || r.ResourceType == "Consent" || r.ResourceType == "RelatedPerson"))
            .ToListAsync(ct);
        var patientRow = rows.FirstOrDefault(r => r.ResourceType == "Patient" && r.LogicalId == patientId);
        var record = patientRow is null
            ? null
            : RecordDirectives.Read(
                (Patient)ResourceStore.ToStored(patientRow).Resource!,
                rows.Where(r => r.ResourceType == "Consent").Select(r => (Consent)ResourceStore.ToStored(r).Resource!),
                rows.Where(r => r.ResourceType == "RelatedPerson").Select(r => (RelatedPerson)ResourceStore.ToStored(r).Resource!));
        _records[patientId] = record;
        if (db.Database.CurrentTransaction is null || !_changedRecords.Contains(patientId))
        {
            // A write transaction that changed this record's Patient or Consents reads rows it may roll back: not shared.
            // Otherwise the rows are committed ones (others' uncommitted rows are invisible), as the stamp says.
            cache?.Set(patientId, stamp, record);
        }

        return record;
    }

    private static FhirException SystemReadsNothing() =>
        new(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden, RecordAccessRules.SystemReadsNothingMessage);

    private static FhirException Denied(AccessDecision decision) =>
        new(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden, decision.Denial!.Message);
}
