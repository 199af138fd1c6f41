using System.Globalization;
using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Storage;
using Hl7.Fhir.Model;

namespace DmpApi.Search;

/// <summary>Search and history Bundles (FHIR R4 §3.1.1.3, §3.1.0.11).</summary>
public static class Bundles
{
    /// <summary>The searchset, its entries without their resources: the answer adds them (<see cref="FhirResult.StoredEntries"/>).</summary>
    public static Bundle SearchSet(string baseUrl, SearchPage page)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = page.Total, Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow } };
        foreach (var match in page.Matches)
        {
            bundle.Entry.Add(Entry(baseUrl, match, Bundle.SearchEntryMode.Match));
        }

        foreach (var included in page.Included)
        {
            bundle.Entry.Add(Entry(baseUrl, included, Bundle.SearchEntryMode.Include));
        }

        return bundle;
    }

    /// <summary>
    /// The searchset's links (FHIR R4 §3.1.1.5.6): self, and next/previous as signed page tokens bound to the requester;
    /// plus a warning entry naming the parameters that were ignored (lenient handling).
    /// </summary>
    public static void CompleteSearchSet(Bundle bundle, string baseUrl, string type, IEnumerable<KeyValuePair<string, string>> canonical, int count,
        IReadOnlyCollection<string> ignored, int offset, bool hasMore, PageTokens tokens, Requester requester)
    {
        var query = QueryString.Create(canonical.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value))).ToUriComponent().TrimStart('?');
        string PageLink(int at) => $"{baseUrl}/{type}?_page={Uri.EscapeDataString(tokens.Issue(type, query, at, requester))}";
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = offset == 0 ? $"{baseUrl}/{type}?{query}" : PageLink(offset) });
        if (hasMore)
        {
            bundle.Link.Add(new Bundle.LinkComponent { Relation = "next", Url = PageLink(offset + count) });
        }

        if (offset > 0)
        {
            bundle.Link.Add(new Bundle.LinkComponent { Relation = "previous", Url = PageLink(Math.Max(0, offset - count)) });
        }

        if (ignored.Count > 0)
        {
            var outcome = new OperationOutcome();
            outcome.Issue.Add(Outcomes.Issue(OperationOutcome.IssueType.NotSupported, $"Ignored search parameters: {string.Join(", ", ignored)}.", OperationOutcome.IssueSeverity.Warning));
            bundle.Entry.Add(new Bundle.EntryComponent { Resource = outcome, Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Outcome } });
        }
    }

    public static Bundle History(string baseUrl, string type, string id, IReadOnlyList<StoredResource> versions)
    {
        var bundle = new Bundle { Type = Bundle.BundleType.History, Total = versions.Count, Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow } };
        bundle.Link.Add(new Bundle.LinkComponent { Relation = "self", Url = $"{baseUrl}/{type}/{id}/_history" });
        foreach (var version in versions)
        {
            var v = version.Version.ToString(CultureInfo.InvariantCulture);
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"{baseUrl}/{type}/{id}",
                Resource = version.Resource,
                Request = new Bundle.RequestComponent
                {
                    Method = version.IsDeleted ? Bundle.HTTPVerb.DELETE : version.Version == 1 ? Bundle.HTTPVerb.POST : Bundle.HTTPVerb.PUT,
                    Url = version.Version == 1 && !version.IsDeleted ? type : $"{type}/{id}",
                },
                Response = new Bundle.ResponseComponent
                {
                    Status = version.IsDeleted ? "204 No Content" : version.Version == 1 ? "201 Created" : "200 OK",
                    Etag = $"W/\"{v}\"",
                    LastModified = new DateTimeOffset(version.LastUpdated),
                },
            });
        }

        return bundle;
    }

    private static Bundle.EntryComponent Entry(string baseUrl, StoredResource stored, Bundle.SearchEntryMode mode) => new()
    {
        FullUrl = $"{baseUrl}/{stored.ResourceType}/{stored.Id}",
        Search = new Bundle.SearchComponent { Mode = mode },
    };
}
