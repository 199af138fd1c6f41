using Hl7.Fhir.Model;

namespace DmpApi.Tests.Infrastructure;

/// <summary>Reading search and history Bundles in assertions.</summary>
public static class BundleExtensions
{
    /// <summary>The ids of the entries that matched the search (not included resources, not OperationOutcomes).</summary>
    public static string[] MatchIds(this Bundle bundle) =>
        [.. bundle.Entry.Where(e => e.Search?.Mode == Bundle.SearchEntryMode.Match).Select(e => e.Resource?.Id ?? "(no id)")];

    /// <summary>The url of the link with this relation; fails the test when there is none.</summary>
    public static string LinkUrl(this Bundle bundle, string relation) =>
        bundle.Link.SingleOrDefault(l => l.Relation == relation)?.Url
        ?? throw new AssertionException($"The Bundle has no '{relation}' link (links: {string.Join(", ", bundle.Link.Select(l => l.Relation))}).");
}
