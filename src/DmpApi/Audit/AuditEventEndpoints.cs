using System.Globalization;
using System.Net;
using DmpApi.Access;
using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Patients;
using DmpApi.Search;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DmpApi.Audit;

/// <summary>
/// The access traces as read-only FHIR AuditEvents (DESIGN §4). CSP L1111-19: the patient sees who accessed their record,
/// newest first; professionals cannot read traces (DMP-RULES §4).
/// </summary>
public static class AuditEventEndpoints
{
    public const string ResourceType = "AuditEvent";

    /// <summary>The search parameters served, for the CapabilityStatement and the OpenAPI document.</summary>
    private static readonly (string Name, SearchParamType Type, string Description, bool Required)[] Parameters =
    [
        ("patient", SearchParamType.Reference, "The record whose traces are searched: Patient/{id} or {id}; a patient may name only their own", true),
        ("date", SearchParamType.Date, "When the access was recorded, with a prefix eq, ne, gt, lt, ge, le (e.g. ge2026-01-01); repeat to bound both sides", false),
        ("agent", SearchParamType.Token, $"Who accessed: the professional's idNatPs ({AuditEventMapping.IdNatPsSystem}|810001234567 or 810001234567) or an INS ({Ins.NirSystem}|…); commas for OR", false),
        ("outcome", SearchParamType.Token, "0 success, 4 denied or refused (4xx), 8 server failure (5xx); commas for OR", false),
    ];

    public static RouteGroupBuilder MapAuditEventEndpoints(this RouteGroupBuilder fhir)
    {
        var group = fhir.MapGroup("/" + ResourceType).WithTags(ResourceType);
        group.MapGet("/", SearchAsync)
            .WithName("SearchAuditEvent")
            .WithSummary("Search the access traces of the patient's own record, newest first")
            .RequireScope(ResourceType, FhirInteraction.Search)
            .WithMetadata(new DeclaredSearchParameters(
                "The access traces of one record (DMP-RULES §4): who read or wrote what, when, and whether it was allowed. Only the "
                + "patient reads them, and only those of their own record; professionals get 403. Newest first unless _sort=date.",
                [
                    .. Parameters.Select(p => new DeclaredSearchParameter(p.Name, p.Description, p.Required)),
                    new DeclaredSearchParameter("_sort", "-date (the default: newest first) or date"),
                    new DeclaredSearchParameter("_total", "accurate: Bundle.total counts every matching trace"),
                ]));
        group.MapGet("/{id}", ReadAsync)
            .WithName("ReadAuditEvent")
            .WithSummary("Read one access trace of the patient's own record")
            .RequireScope(ResourceType, FhirInteraction.Read);
        return group;
    }

    /// <summary>AuditEvent in the CapabilityStatement: read and search-type only (the trail is written by the server alone).</summary>
    public static CapabilityStatement.ResourceComponent Capability() =>
        CapabilityResources.ReadOnly(ResourceType, "Access traces (IHE BALP shape), read-only: the patient reads those of their own record (CSP L1111-19); professionals cannot.",
            Parameters.Select(p => (p.Name, p.Type, p.Description)));

    private static async Task<FhirResult> ReadAsync(string id, HttpContext http, DmpDbContext db, CancellationToken ct)
    {
        var own = await OwnRecordAsync(http, ct);
        TracedIn(http, own);
        // Another record's trace answers as one that does not exist (DMP-RULES §2: hidden and absent look the same).
        var row = long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var key)
            ? await ForRequester(http, db.AuditRecords.AsNoTracking()).FirstOrDefaultAsync(r => r.Id == key && r.PatientId == own, ct)
            : null;
        return row is null ? throw FhirException.NotFound(ResourceType, id) : new FhirResult(HttpStatusCode.OK, AuditEventMapping.ToResource(row));
    }

    private static async Task<FhirResult> SearchAsync(HttpContext http, DmpDbContext db, PageTokens tokens, IOptions<SearchOptions> options, CancellationToken ct)
    {
        var own = await OwnRecordAsync(http, ct);
        var requester = http.GetRequester();
        var parameters = http.Request.Query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? string.Empty))).ToList();
        var offset = 0;
        if (parameters.FirstOrDefault(p => p.Key == "_page") is { Value: { Length: > 0 } token })
        {
            var state = tokens.Read(token, ResourceType, requester);
            parameters = QueryHelpers.ParseQuery(state.Query).SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? string.Empty))).ToList();
            offset = state.Offset;
        }

        var search = AuditEventSearch.Parse(parameters, options.Value, http.Request.StrictHandling());
        if (search.PatientId != own)
        {
            throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                "A patient reads the access traces of their own record only (DMP-RULES §4): use patient=Patient/{your record's id}.");
        }

        TracedIn(http, own);

        if (offset > options.Value.MaxOffset)
        {
            throw FhirException.BadRequest($"Paging deeper than {options.Value.MaxOffset} results is not supported; narrow the search (e.g. with date).", OperationOutcome.IssueType.TooCostly);
        }

        var query = search.Apply(ForRequester(http, db.AuditRecords.AsNoTracking()).Where(r => r.PatientId == own));
        int? total = search.TotalAccurate || search.Count == 0 ? await query.CountAsync(ct) : null;
        var rows = search.Count == 0 ? [] : await search.Order(query).Skip(offset).Take(search.Count + 1).ToListAsync(ct);
        var hasMore = rows.Count > search.Count;

        var baseUrl = http.Request.BaseUrl();
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = total, Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow } };
        foreach (var row in rows.Take(search.Count))
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"{baseUrl}/{ResourceType}/{row.Id.ToString(CultureInfo.InvariantCulture)}",
                Resource = AuditEventMapping.ToResource(row),
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            });
        }

        Bundles.CompleteSearchSet(bundle, baseUrl, ResourceType, search.Canonical, search.Count, search.Ignored, offset, hasMore, tokens, requester);
        return new FhirResult(HttpStatusCode.OK, bundle);
    }

    /// <summary>Issue 14: the traces a professional kept from a minor's legal representatives are absent for them, in SQL.</summary>
    private static IQueryable<AuditRecord> ForRequester(HttpContext http, IQueryable<AuditRecord> records) =>
        http.GetRequester().Kind == RequesterKind.Representative ? records.Where(r => !r.HiddenFromRepresentatives) : records;

    /// <summary>Reading the traces is itself an access to the record, traced in it (a denied attempt on another record is traced in that one).</summary>
    private static void TracedIn(HttpContext http, string patientId)
    {
        if (http.AuditScope() is { } audit)
        {
            audit.PatientId = patientId;
        }
    }

    /// <summary>
    /// The record whose traces the requester may read: a patient's own, found by the INS of their token. DMP-RULES §4:
    /// professionals cannot read traces, whatever their scopes.
    /// </summary>
    private static Task<string> OwnRecordAsync(HttpContext http, CancellationToken ct) =>
        http.GetAccessScope().PatientsOwnRecordAsync(
            "Professionals cannot read access traces (DMP-RULES §4): only the patient reads who accessed their record (CSP L1111-19).",
            "No record is open for the INS of this token, so there are no access traces to read.", ct);
}
