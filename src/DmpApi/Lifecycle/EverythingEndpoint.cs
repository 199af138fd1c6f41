using System.Globalization;
using System.Linq.Expressions;
using System.Net;
using DmpApi.Access;
using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Search;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DmpApi.Lifecycle;

/// <summary>
/// `GET Patient/{id}/$everything` (issue 14): the patient's export. Every current resource of the record the requester
/// may see, under the same predicates as a search (a representative without INVISIBLE_REPRESENTANTS_LEGAUX documents, a
/// professional with the matrix, masks and Consent audience), paged with signed links, one audit record per page. Each
/// document's content stays a link (attachment.url) unless `_binary=inline` asks for the Binaries themselves, up to
/// Lifecycle:InlineBinaryLimit bytes each.
/// </summary>
public static class EverythingEndpoint
{
    public const string Name = "$everything";

    public static RouteGroupBuilder MapPatientEverything(this RouteGroupBuilder patients)
    {
        patients.MapGet("/{id}/" + Name, EverythingAsync)
            .WithName("PatientEverything")
            .WithSummary("Export the record: every resource of it the requester may see, paged")
            .WithFhirOperation("Patient", FhirInteraction.Operation)
            // An export is a search of the whole record: it needs the Patient search scope (e.g. patient/*.rs or user/Patient.s).
            .RequireScopeOf("Patient", FhirInteraction.Search);
        return patients;
    }

    private static async Task<FhirResult> EverythingAsync(
        string id, HttpContext http, DmpDbContext db, PageTokens tokens, IOptions<SearchOptions> search, IOptions<LifecycleOptions> lifecycle, CancellationToken ct)
    {
        var requester = http.GetRequester();
        var pageType = $"Patient/{id}/{Name}";
        var parameters = http.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
        var offset = 0;
        if (parameters.TryGetValue("_page", out var token) && token.Length > 0)
        {
            var state = tokens.Read(token, pageType, requester);
            parameters = QueryHelpers.ParseQuery(state.Query).ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
            offset = state.Offset;
        }

        var count = search.Value.DefaultCount;
        if (parameters.TryGetValue("_count", out var countText)
            && !(int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out count) && count >= 1 && count <= search.Value.MaxCount))
        {
            throw FhirException.BadRequest($"_count must be a whole number from 1 to {search.Value.MaxCount}; got '{countText}'.");
        }

        var inline = parameters.GetValueOrDefault("_binary") switch
        {
            null or "" or "link" => false,
            "inline" => true,
            var other => throw FhirException.BadRequest($"_binary must be link (the default: each document's content stays its attachment.url) or inline; got '{other}'."),
        };

        if (offset > search.Value.MaxOffset)
        {
            throw FhirException.BadRequest($"Paging deeper than {search.Value.MaxOffset} resources is not supported.", OperationOutcome.IssueType.TooCostly);
        }

        var scope = http.GetAccessScope();
        if (!await scope.RequireReadAsync(id, ct))
        {
            throw FhirException.NotFound("Patient", id);
        }

        var visible = Predicates.And(
            r => r.PatientId == id && r.IsCurrent && !r.IsDeleted,
            Predicates.Or(
            [
                r => r.ResourceType != "DocumentReference" && r.ResourceType != "Consent",
                Predicates.And(r => r.ResourceType == "DocumentReference", DocumentPredicates.For(db, id, await scope.DocumentFilterAsync(id, ct))),
                Predicates.And(r => r.ResourceType == "Consent", scope.ConsentPredicate()),
            ]));
        var rows = db.Resources.AsNoTracking().TagWith(AccessPredicate.Tag).Where(visible);
        var total = await rows.CountAsync(ct);
        var page = await rows.OrderBy(r => r.Id).Skip(offset).Take(count + 1).ToListAsync(ct);
        var hasMore = page.Count > count;

        var baseUrl = http.Request.BaseUrl();
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = total, Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow } };
        var documents = new List<DocumentReference>();
        foreach (var row in page.Take(count))
        {
            var resource = ResourceStore.ToStored(row).Resource!;
            if (resource is DocumentReference document)
            {
                documents.Add(document);
            }

            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"{baseUrl}/{row.ResourceType}/{row.LogicalId}",
                Resource = resource,
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            });
        }

        if (inline)
        {
            await InlineBinariesAsync(db, id, documents, lifecycle.Value.InlineBinaryLimit, bundle, baseUrl, ct);
        }

        var canonical = parameters.Where(p => p.Key is "_count" or "_binary").Select(p => new KeyValuePair<string, string>(p.Key, p.Value)).ToList();
        Bundles.CompleteSearchSet(bundle, baseUrl, pageType, canonical, count, [], offset, hasMore, tokens, requester);
        return new FhirResult(HttpStatusCode.OK, bundle);
    }

    /// <summary>The Binaries of the page's documents (already judged visible), each up to the limit; larger ones stay links.</summary>
    private static async System.Threading.Tasks.Task InlineBinariesAsync(
        DmpDbContext db, string patientId, List<DocumentReference> documents, int limit, Bundle bundle, string baseUrl, CancellationToken ct)
    {
        var ids = documents.SelectMany(d => d.Content).Select(c => c.Attachment?.Url).OfType<string>()
            .Select(url => FhirReferences.Parse(url) is ("Binary", var binaryId) ? binaryId : null).OfType<string>().ToList();
        if (ids.Count == 0)
        {
            return;
        }

        var binaries = await db.Binaries.AsNoTracking().TagWith(AccessPredicate.Tag)
            .Where(b => b.PatientId == patientId && ids.Contains(b.LogicalId) && b.Content.Length <= limit)
            .Select(b => new { b.LogicalId, b.ContentType, b.Content })
            .ToListAsync(ct);
        foreach (var binary in binaries)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"{baseUrl}/Binary/{binary.LogicalId}",
                Resource = new Binary { Id = binary.LogicalId, ContentType = binary.ContentType, Data = binary.Content },
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Include },
            });
        }
    }
}
