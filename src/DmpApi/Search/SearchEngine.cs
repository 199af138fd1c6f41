using System.Linq.Expressions;
using DmpApi.Access;
using DmpApi.Fhir;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Search;

/// <summary>One page of results: the rows of the page, whether more follow, and the total when it was asked for.</summary>
public sealed record SearchPage(IReadOnlyList<StoredResource> Matches, IReadOnlyList<StoredResource> Included, bool HasMore, int? Total);

/// <summary>
/// Turns a <see cref="SearchRequest"/> into one SQL query over the index tables: every criterion is a subquery of
/// matching resource rows, applied before ordering, paging and counting.
/// </summary>
public sealed class SearchEngine(DmpDbContext db)
{
    public async Task<SearchPage> ExecuteAsync(AccessScope scope, SearchRequest request, int offset, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var named = await NamedPatientsAsync(request, ct);
        var documentsOf = named.Count == 1 && RecordDocuments.RecordOf(request, offset) is { } only && named.Contains(only) ? only : null;
        if (documentsOf is not null)
        {
            if (await CachedRecordDocumentsAsync(scope, request, documentsOf, offset, ct) is { } cached)
            {
                return cached;
            }
        }
        else if (await OneStatementPageAsync(scope, request, named, offset, ct) is { } page)
        {
            return page;
        }

        // DESIGN §2: the access filter is part of the query, before ordering, paging and counting.
        var records = await scope.SearchableRecordsAsync(named, ct);
        // One decision per record gives both filters: deciding again per type would only recount it (metrics, notices).
        var decisions = new Dictionary<string, AccessDecision?>(StringComparer.Ordinal);
        foreach (var patientId in records)
        {
            decisions[patientId] = await scope.DecideReadAsync(patientId, ct);
        }

        if (documentsOf is not null && records is [var record] && record == documentsOf && decisions[record] is { IsAllowed: true } decided
            && await RecordDocumentsPageAsync(scope, request, record, decided, offset, ct) is { } judged)
        {
            return judged;
        }

        var reach = ReachOf(scope, records, decisions);
        var query = reach.Within(Matching(request.ResourceType, request.Criteria, reach), request.ResourceType);

        // _count=0 asks for the count alone, as _summary=count does (FHIR R4 §3.1.1.5.6).
        int? total = request.TotalAccurate || request.SummaryCount || request.Count == 0 ? await query.CountAsync(ct) : null;
        if (request.SummaryCount || request.Count == 0)
        {
            return new SearchPage([], [], false, total);
        }

        var rows = await Ordered(query, request.Sort).Skip(offset).Take(request.Count + 1).AsNoTracking().ToListAsync(ct);
        return await PageAsync(scope, reach, request, offset, rows, total, ct);
    }

    /// <summary>
    /// Issue 12: a professional's search of one record whose decision is cached runs as one statement, the page together
    /// with the record's version stamp. The page stands only when that stamp is the cached one (then the decision is
    /// recorded as any other); a changed record, an empty page or a count falls back to deciding first.
    /// </summary>
    private async Task<SearchPage?> OneStatementPageAsync(AccessScope scope, SearchRequest request, IReadOnlyCollection<string> named, int offset, CancellationToken ct)
    {
        if (named.Count != 1 || request.TotalAccurate || request.SummaryCount || request.Count == 0 || request.Includes.Count > 0
            || named.First() is not { } patientId || scope.CachedDecision(patientId) is not ({ IsAllowed: true } decision, var stamp))
        {
            return null;
        }

        var reach = ReachOf(scope, new List<string> { patientId }, new Dictionary<string, AccessDecision?> { [patientId] = decision });
        var query = reach.Within(Matching(request.ResourceType, request.Criteria, reach), request.ResourceType);
        var stamped = AccessScope.StampedRows(db, patientId);
        var rows = await Ordered(query, request.Sort).Skip(offset).Take(request.Count + 1).AsNoTracking()
            .Select(r => new { Row = r, Versions = stamped.Count(), LastRowId = stamped.Max(s => (long?)s.Id) ?? 0 })
            .ToListAsync(ct);
        if (rows.Count == 0 || new RecordStamp(rows[0].Versions, rows[0].LastRowId) != stamp
            || await scope.ConfirmDecisionAsync(patientId, stamp, ct) is not { IsAllowed: true })
        {
            return null;
        }

        return await PageAsync(scope, reach, request, offset, rows.ConvertAll(r => r.Row), null, ct);
    }

    /// <summary>
    /// Issue 12: one record's documents (<see cref="RecordDocuments"/>) for a professional whose decision on the record is
    /// cached: the rows come with the record's stamp, and stand only when it is the cached one (the decision is then
    /// recorded as any other). Null when the decision is not cached, the record changed or the rows do not settle the page.
    /// </summary>
    private async Task<SearchPage?> CachedRecordDocumentsAsync(AccessScope scope, SearchRequest request, string patientId, int offset, CancellationToken ct)
    {
        if (scope.CachedDecision(patientId) is not ({ IsAllowed: true }, var stamp))
        {
            return null;
        }

        var limit = RecordDocuments.Limit(offset, request.Count);
        var read = await RecordDocuments.ReadAsync(db, patientId, limit, ct);
        if (read.Count == 0 || read[0].Stamp != stamp || await scope.ConfirmDecisionAsync(patientId, stamp, ct) is not { IsAllowed: true } decision)
        {
            return null;
        }

        return Judged(scope, request, decision, read, limit, offset);
    }

    /// <summary>One record's documents judged in memory, the record already decided in this request (its stamp is not needed).</summary>
    private async Task<SearchPage?> RecordDocumentsPageAsync(AccessScope scope, SearchRequest request, string patientId, AccessDecision decision, int offset, CancellationToken ct)
    {
        var limit = RecordDocuments.Limit(offset, request.Count);
        return Judged(scope, request, decision, await RecordDocuments.ReadAsync(db, patientId, limit, ct), limit, offset);
    }

    private static SearchPage? Judged(AccessScope scope, SearchRequest request, AccessDecision decision, List<RecordDocument> read, int limit, int offset)
    {
        var filter = scope.DocumentFilterFor(decision);
        return RecordDocuments.Page(read, limit, d => AccessScope.CanSeeCurrentDocument(filter, d.Row, d.Tokens), offset, request.Count) is { } rows
            ? Paged(request, offset, rows, [], null)
            : null;
    }

    private static SearchPage Paged(SearchRequest request, int offset, List<ResourceRow> rows, IReadOnlyList<StoredResource> included, int? total)
    {
        var hasMore = rows.Count > request.Count;
        var page = rows.Take(request.Count).ToList();
        return new SearchPage(page.Select(ResourceStore.ToStored).ToList(), included, hasMore, total ?? (hasMore ? null : offset + page.Count));
    }

    private async Task<SearchPage> PageAsync(AccessScope scope, Reach reach, SearchRequest request, int offset, List<ResourceRow> rows, int? total, CancellationToken ct)
    {
        var included = request.Includes.Count == 0 ? [] : await IncludedAsync(scope, reach, rows.Take(request.Count).ToList(), request.Includes, ct);
        return Paged(request, offset, rows, included, total);
    }

    /// <summary>
    /// DMP-RULES §2 rules 5–8, per record: a hidden document is neither listed nor counted, nor reached by a chain. Each
    /// type's predicate is built when a query first needs it (issue 12: a search of one type used to build them all).
    /// </summary>
    private Reach ReachOf(AccessScope scope, IReadOnlyList<string> records, IReadOnlyDictionary<string, AccessDecision?> decisions)
    {
        Expression<Func<ResourceRow, bool>>? visibleDocument = null;
        Expression<Func<ResourceRow, bool>> VisibleDocument() => visibleDocument ??=
            Predicates.Or(records.Select(patientId => DocumentPredicates.For(db, patientId, scope.DocumentFilterFor(decisions[patientId]))).ToList());

        return new Reach(records, type => type switch
        {
            "DocumentReference" => VisibleDocument(),
            "Consent" => scope.ConsentPredicate(),
            "List" => ListPredicates.NamesNoHiddenDocument(db, VisibleDocument()),
            _ when HealthProfile.Default.Entries.Any(e => e.Type == type) =>
                Predicates.Or(records.Select(patientId => scope.HealthProfilePredicate(patientId, type, decisions[patientId])).ToList()),
            _ => null,
        });
    }

    /// <summary>The records a search names (DESIGN §4: patient, subject, patient.identifier; for Patient, _id or identifier).</summary>
    private async Task<IReadOnlyCollection<string>> NamedPatientsAsync(SearchRequest request, CancellationToken ct)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var identifiers = new List<string>();
        foreach (var c in request.Criteria.Where(c => c.Modifier is not ("not" or "missing")))
        {
            var (direct, byIdentifier) = request.ResourceType == "Patient"
                ? (c.Name == "_id", c.Name == "identifier")
                : (c.Param?.Name is "patient" or "subject" && (c.Chain is null || c.Chain.Name == "_id"),
                   c.Param?.Name is "patient" or "subject" && c.Chain?.Name == "identifier");
            foreach (var value in c.Values)
            {
                if (direct) ids.Add(SearchIndexer.ParseReference(value) is ("Patient", var id) ? id : value);
                if (byIdentifier) identifiers.Add(value);
            }
        }

        foreach (var identifier in identifiers)
        {
            var bar = identifier.IndexOf('|');
            var system = bar > 0 ? identifier[..bar] : null;
            var value = Patients.Ins.Normalize(bar >= 0 ? identifier[(bar + 1)..] : identifier);
            ids.UnionWith(await db.PatientIdentities.AsNoTracking()
                .Where(p => p.Value == value && (system == null || p.System == system)).Select(p => p.PatientId).ToListAsync(ct));
        }

        return ids;
    }

    /// <summary>What a search may reach: rows of the readable records, and of documents only the visible ones.</summary>
    private sealed class Reach(IReadOnlyList<string> records, Func<string, Expression<Func<ResourceRow, bool>>?> visibleOf)
    {
        private readonly Dictionary<string, Expression<Func<ResourceRow, bool>>?> visible = new(StringComparer.Ordinal);

        public IQueryable<ResourceRow> Within(IQueryable<ResourceRow> rows, string type)
        {
            // One record (a professional's search): a plain equality, not `= ANY(…)` beside the criterion's own `=`.
            if (records is [var only])
            {
                rows = rows.Where(r => r.PatientId == only);
            }
            else
            {
                rows = rows.Where(r => r.PatientId != null && records.Contains(r.PatientId));
            }

            if (!visible.TryGetValue(type, out var predicate))
            {
                visible[type] = predicate = visibleOf(type);
            }

            return predicate is null ? rows : rows.Where(predicate);
        }
    }

    /// <summary>The current, not deleted rows of a type that meet every criterion.</summary>
    private IQueryable<ResourceRow> Matching(string type, IEnumerable<SearchCriterion> criteria, Reach reach)
    {
        var query = db.Resources.Where(r => r.ResourceType == type && r.IsCurrent && !r.IsDeleted);
        foreach (var criterion in criteria)
        {
            query = Apply(query, type, criterion, reach);
        }

        return query;
    }

    private IQueryable<ResourceRow> Apply(IQueryable<ResourceRow> query, string type, SearchCriterion c, Reach reach)
    {
        if (c.Name == "_id")
        {
            var ids = c.Values.ToList();
            return c.Modifier == "not" ? query.Where(r => !ids.Contains(r.LogicalId)) : query.Where(r => ids.Contains(r.LogicalId));
        }

        if (c.Name == "_lastUpdated")
        {
            return query.Where(Predicates.Or(c.Values.Select(v => LastUpdated(v))));
        }

        var param = c.Param!;
        if (c.Modifier == "missing")
        {
            // One value only: "a:missing=true,false" or ",,," is a malformed request, not a server error.
            var missing = (c.Values.Count == 1 ? c.Values[0] : string.Join(',', c.Values)) switch
            {
                "true" => true,
                "false" => false,
                var v => throw FhirException.BadRequest($":missing takes true or false; got '{v}'."),
            };
            var having = RowsWithParameter(type, param);
            return missing ? query.Where(r => !having.Contains(r.Id)) : query.Where(r => having.Contains(r.Id));
        }

        if (c.Chain is { } chain)
        {
            var targetType = c.Modifier!;
            // A chain reaches only what the requester could find by searching the target type itself.
            var targets = reach.Within(Apply(db.Resources.Where(r => r.ResourceType == targetType && r.IsCurrent && !r.IsDeleted), targetType, chain, reach), targetType)
                .Select(r => r.LogicalId);
            var name = param.Name;
            var chained = db.ReferenceIndex
                .Where(x => x.ResourceType == type && x.ParamName == name && x.TargetType == targetType && targets.Contains(x.TargetId))
                .Select(x => x.ResourceRowId);
            return query.Where(r => chained.Contains(r.Id));
        }

        var matching = param.Kind switch
        {
            SearchParamKind.Token or SearchParamKind.Uri => TokenRows(type, param.Name, c.Values),
            SearchParamKind.String => StringRows(type, param.Name, c.Modifier, c.Values),
            SearchParamKind.Date => DateRows(type, param.Name, c.Values),
            SearchParamKind.Reference => ReferenceRows(type, param, c.Modifier, c.Values),
            _ => throw FhirException.BadRequest($"'{c.Name}' cannot be searched."),
        };
        return c.Modifier == "not" ? query.Where(r => !matching.Contains(r.Id)) : query.Where(r => matching.Contains(r.Id));
    }

    private IQueryable<long> TokenRows(string type, string name, IEnumerable<string> values)
    {
        var predicates = values.Select(value =>
        {
            var bar = value.IndexOf('|');
            if (bar < 0)
            {
                return (Expression<Func<TokenIndexRow, bool>>)(t => t.Code == value);
            }

            var system = value[..bar];
            var code = value[(bar + 1)..];
            return (system.Length, code.Length) switch
            {
                (0, _) => t => t.System == null && t.Code == code,
                (_, 0) => t => t.System == system,
                _ => t => t.System == system && t.Code == code,
            };
        });
        return db.TokenIndex.Where(t => t.ResourceType == type && t.ParamName == name).Where(Predicates.Or(predicates)).Select(t => t.ResourceRowId);
    }

    private IQueryable<long> StringRows(string type, string name, string? modifier, IEnumerable<string> values)
    {
        var predicates = values.Select(value =>
        {
            if (modifier == "exact")
            {
                return (Expression<Func<StringIndexRow, bool>>)(s => s.Exact == value);
            }

            var normalized = SearchIndexer.Normalize(value);
            return modifier == "contains"
                ? s => s.Normalized.Contains(normalized)
                : s => s.Normalized.StartsWith(normalized);
        });
        return db.StringIndex.Where(s => s.ResourceType == type && s.ParamName == name).Where(Predicates.Or(predicates)).Select(s => s.ResourceRowId);
    }

    private IQueryable<long> DateRows(string type, string name, IEnumerable<string> values)
    {
        var predicates = values.Select(value =>
        {
            var (prefix, range) = ParseDate(value);
            long s = range.Start, e = range.End;
            return prefix switch
            {
                "eq" => (Expression<Func<DateIndexRow, bool>>)(d => d.Start >= s && d.End <= e),
                "ne" => d => d.Start < s || d.End > e,
                "lt" => d => d.Start < s,
                "le" => d => d.Start <= e,
                "gt" => d => d.End > e,
                "ge" => d => d.End >= s,
                "sa" => d => d.Start > e,
                "eb" => d => d.End < s,
                _ => d => d.Start <= e && d.End >= s, // ap: overlaps
            };
        });
        return db.DateIndex.Where(d => d.ResourceType == type && d.ParamName == name).Where(Predicates.Or(predicates)).Select(d => d.ResourceRowId);
    }

    private IQueryable<long> ReferenceRows(string type, SearchParam param, string? typeModifier, IEnumerable<string> values)
    {
        var name = param.Name;
        var predicates = values.Select(value =>
        {
            if (SearchIndexer.ParseReference(value) is var (targetType, targetId))
            {
                return (Expression<Func<ReferenceIndexRow, bool>>)(x => x.TargetType == targetType && x.TargetId == targetId);
            }

            var only = typeModifier ?? (param.Targets.Count == 1 ? param.Targets[0] : null);
            if (only is null && param.Targets.Count > 1)
            {
                // A bare id among the declared target types: naming them lets the (type, name, target type, target id)
                // index seek instead of scanning every row of the parameter (1,000,000 documents: 0.9 s a search).
                var targets = param.Targets.ToArray();
                return x => targets.Contains(x.TargetType) && x.TargetId == value;
            }

            return only is null ? x => x.TargetId == value : x => x.TargetType == only && x.TargetId == value;
        });
        return db.ReferenceIndex.Where(x => x.ResourceType == type && x.ParamName == name).Where(Predicates.Or(predicates)).Select(x => x.ResourceRowId);
    }

    private IQueryable<long> RowsWithParameter(string type, SearchParam param)
    {
        var name = param.Name;
        return param.Kind switch
        {
            SearchParamKind.Token or SearchParamKind.Uri => db.TokenIndex.Where(t => t.ResourceType == type && t.ParamName == name).Select(t => t.ResourceRowId),
            SearchParamKind.String => db.StringIndex.Where(t => t.ResourceType == type && t.ParamName == name).Select(t => t.ResourceRowId),
            SearchParamKind.Date => db.DateIndex.Where(t => t.ResourceType == type && t.ParamName == name).Select(t => t.ResourceRowId),
            _ => db.ReferenceIndex.Where(t => t.ResourceType == type && t.ParamName == name).Select(t => t.ResourceRowId),
        };
    }

    private static Expression<Func<ResourceRow, bool>> LastUpdated(string value)
    {
        var (prefix, range) = ParseDate(value);
        var s = new DateTime(range.Start, DateTimeKind.Utc);
        var e = new DateTime(range.End, DateTimeKind.Utc);
        return prefix switch
        {
            "ne" => r => r.LastUpdated < s || r.LastUpdated > e,
            "lt" or "eb" => r => r.LastUpdated < s,
            "le" => r => r.LastUpdated <= e,
            "gt" or "sa" => r => r.LastUpdated > e,
            "ge" => r => r.LastUpdated >= s,
            _ => r => r.LastUpdated >= s && r.LastUpdated <= e,
        };
    }

    private static (string Prefix, FhirDateRange Range) ParseDate(string value)
    {
        var prefix = value.Length > 2 && char.IsAsciiLetterLower(value[0]) && char.IsAsciiLetterLower(value[1]) ? value[..2] : "eq";
        var text = prefix == "eq" && !value.StartsWith("eq", StringComparison.Ordinal) ? value : value[2..];
        if (prefix is not ("eq" or "ne" or "lt" or "le" or "gt" or "ge" or "sa" or "eb" or "ap"))
        {
            throw FhirException.BadRequest($"Date prefix '{prefix}' is not one of eq ne lt le gt ge sa eb ap.");
        }

        return FhirDateRange.TryParse(text, out var range)
            ? (prefix, range)
            : throw FhirException.BadRequest($"'{text}' is not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss][Z|±hh:mm]).");
    }

    private IOrderedQueryable<ResourceRow> Ordered(IQueryable<ResourceRow> query, IReadOnlyList<SortKey> sort)
    {
        IOrderedQueryable<ResourceRow>? ordered = null;
        foreach (var key in sort)
        {
            var name = key.Name;
            Expression<Func<ResourceRow, long?>> selector = name switch
            {
                "_lastUpdated" => r => r.Id, // rows are appended in time order: the surrogate key orders them as lastUpdated does
                _ when key.Descending => r => db.DateIndex.Where(d => d.ResourceRowId == r.Id && d.ParamName == name).Max(d => (long?)d.End),
                _ => r => db.DateIndex.Where(d => d.ResourceRowId == r.Id && d.ParamName == name).Min(d => (long?)d.Start),
            };
            if (name == "_id")
            {
                ordered = ordered is null
                    ? key.Descending ? query.OrderByDescending(r => r.LogicalId) : query.OrderBy(r => r.LogicalId)
                    : key.Descending ? ordered.ThenByDescending(r => r.LogicalId) : ordered.ThenBy(r => r.LogicalId);
                continue;
            }

            ordered = ordered is null
                ? key.Descending ? query.OrderByDescending(selector) : query.OrderBy(selector)
                : key.Descending ? ordered.ThenByDescending(selector) : ordered.ThenBy(selector);
        }

        // The surrogate key makes every order total, so pages never overlap or skip.
        return ordered is null ? query.OrderBy(r => r.Id) : ordered.ThenBy(r => r.Id);
    }

    private async Task<IReadOnlyList<StoredResource>> IncludedAsync(AccessScope scope, Reach reach, List<ResourceRow> page, List<IncludeSpec> includes, CancellationToken ct)
    {
        var rowIds = page.Select(r => r.Id).ToList();
        var result = new List<StoredResource>();
        var seen = page.Select(r => (r.ResourceType, r.LogicalId)).ToHashSet();
        foreach (var include in includes)
        {
            var name = include.ParamName;
            var targets = await db.ReferenceIndex.AsNoTracking()
                .Where(x => rowIds.Contains(x.ResourceRowId) && x.ParamName == name && (include.TargetType == null || x.TargetType == include.TargetType))
                .Select(x => new { x.TargetType, x.TargetId })
                .Distinct()
                .ToListAsync(ct);
            foreach (var group in targets.GroupBy(t => t.TargetType))
            {
                var ids = group.Select(g => g.TargetId).Where(id => seen.Add((group.Key, id))).ToList();
                if (ids.Count == 0) continue;
                var targetType = group.Key;
                // An included resource is one the requester could find by searching its type (hidden entries, other professionals' Consents).
                var rows = await reach.Within(db.Resources.AsNoTracking()
                    .Where(r => r.ResourceType == targetType && ids.Contains(r.LogicalId) && r.IsCurrent && !r.IsDeleted), targetType)
                    .ToListAsync(ct);
                foreach (var row in rows)
                {
                    // An included document obeys the same rules as a matched one (DMP-RULES §2 rules 5–8).
                    var stored = ResourceStore.ToStored(row);
                    if (await scope.CanSeeDocumentAsync(row, stored.Resource as DocumentReference, ct))
                    {
                        result.Add(stored);
                    }
                }
            }
        }

        return result;
    }
}
