using DmpApi.Access;
using DmpApi.Storage;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Search;

/// <summary>
/// Issue 12: the search every client makes, one record's documents (`DocumentReference?patient=…`), without building a
/// query per request. One compiled statement reads the record's current documents in row order with the tokens their
/// visibility depends on and the record's version stamp; <see cref="AccessScope.CanSeeCurrentDocument"/> judges each in
/// memory by the rule the SQL path translates (<see cref="DocumentFilter.Matches"/>), and the page is cut from the
/// visible ones. A record with more documents than the page needs beyond <see cref="ReadBeyondPage"/> goes to SQL.
/// </summary>
internal static class RecordDocuments
{
    /// <summary>Rows read past the page's end, so that hidden documents rarely send a page back to the SQL path.</summary>
    public const int ReadBeyondPage = 64;

    /// <summary>Deeper pages are paged by the database: reading every row before them would cost more than the query.</summary>
    public const int DeepestOffset = 500;

    /// <summary>
    /// The record a search is the plain "documents of one record" of, or null: `patient` naming one Patient, nothing
    /// else but the paging parameters, in the default order (the surrogate key, as the SQL path orders).
    /// </summary>
    public static string? RecordOf(SearchRequest request, int offset) =>
        request is { ResourceType: "DocumentReference", Criteria: [{ Name: "patient", Modifier: null, Chain: null, Values: [var value] }], Sort: [], Includes: [],
            TotalAccurate: false, SummaryCount: false, Count: > 0 }
        && offset <= DeepestOffset
        && (SearchIndexer.ParseReference(value) is ("Patient", var id) ? id : value) is { Length: > 0 } patientId
        && !patientId.Contains('/', StringComparison.Ordinal)
            ? patientId
            : null;

    /// <summary>
    /// The page's rows, and one more when more follow, from rows read in key order (<see cref="ReadAsync"/>) and judged by
    /// <paramref name="visible"/>; null when they do not settle it (more documents than were read, too few of them visible).
    /// </summary>
    public static List<ResourceRow>? Page(IReadOnlyList<RecordDocument> read, int limit, Func<RecordDocument, bool> visible, int offset, int count)
    {
        var wanted = offset + count + 1;
        var rows = new List<ResourceRow>(Math.Min(read.Count, wanted));
        foreach (var document in read)
        {
            if (!visible(document)) continue;
            rows.Add(document.Row);
            if (rows.Count == wanted) break;
        }

        // Every document of the record was read, or enough visible ones to know the page and whether more follow.
        return read.Count < limit || rows.Count == wanted ? rows.Skip(offset).ToList() : null;
    }

    /// <summary>How many rows to read for a page: the page, one more to tell whether more follow, and some slack for hidden ones.</summary>
    public static int Limit(int offset, int count) => offset + count + 1 + ReadBeyondPage;

    /// <summary>The record's current documents that the `patient` criterion matches (its reference index row), at most <paramref name="limit"/>.</summary>
    public static async Task<List<RecordDocument>> ReadAsync(DmpDbContext db, string patientId, int limit, CancellationToken ct)
    {
        var read = new List<RecordDocument>();
        await foreach (var document in Query.For(db)(db, patientId, limit).WithCancellation(ct))
        {
            read.Add(document);
        }

        return read;
    }

    private static readonly CompiledPerModel<Func<DmpDbContext, string, int, IAsyncEnumerable<RecordDocument>>> Query =
        new(() => EF.CompileAsyncQuery((DmpDbContext db, string patientId, int limit) => db.Resources.AsNoTracking().TagWith(AccessPredicate.Tag)
            .Where(r => r.PatientId == patientId && r.ResourceType == "DocumentReference" && r.IsCurrent && !r.IsDeleted
                && db.ReferenceIndex.Any(x => x.ResourceRowId == r.Id && x.ResourceType == "DocumentReference" && x.ParamName == "patient"
                    && x.TargetType == "Patient" && x.TargetId == patientId))
            .OrderBy(r => r.Id)
            .Take(limit)
            .Select(r => new RecordDocument(
                r,
                // The record's stamp (AccessScope.StampedRows), read by the same statement as the rows it vouches for.
                db.Resources.Count(s => s.PatientId == patientId && (s.ResourceType == "Patient" || s.ResourceType == "Consent" || s.ResourceType == "RelatedPerson")),
                db.Resources.Where(s => s.PatientId == patientId && (s.ResourceType == "Patient" || s.ResourceType == "Consent" || s.ResourceType == "RelatedPerson")).Max(s => (long?)s.Id) ?? 0,
                // One string per row, as the read's (ResourceStore.CurrentForDecisionAsync): a nested collection's shaper
                // would create its delegates on every search.
                string.Join(RowToken.Separator, db.TokenIndex.Where(t => t.ResourceRowId == r.Id && (t.ParamName == "type" || t.ParamName == "security-label"))
                    .Select(t => t.ParamName + RowToken.FieldSeparator + (t.System ?? "") + RowToken.FieldSeparator + (t.Code ?? "")))))));
}

/// <summary>A current document with the tokens its visibility reads and its record's stamp (<see cref="RecordDocuments"/>).</summary>
internal sealed record RecordDocument(ResourceRow Row, int RecordVersions, long RecordLastRowId, string? PackedTokens)
{
    public RecordStamp Stamp => new(RecordVersions, RecordLastRowId);

    public IEnumerable<RowToken> Tokens => RowToken.Unpack(PackedTokens);
}
