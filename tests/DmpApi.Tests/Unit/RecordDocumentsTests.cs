using DmpApi.Search;
using DmpApi.Storage;

namespace DmpApi.Tests.Unit;

/// <summary>Issue 12: when one record's documents, read in key order, settle a page in memory, and which searches are that plain.</summary>
public sealed class RecordDocumentsTests
{
    private static readonly SearchParameterRegistry Registry = new(DmpApi.Endpoints.FhirResources.Types);

    [Test]
    public void A_record_read_whole_settles_any_page()
    {
        var read = Documents(5);

        var page = RecordDocuments.Page(read, limit: 10, d => d.Row.Id % 2 == 1, offset: 2, count: 2);

        Assert.That(page?.Select(r => r.Id), Is.EqualTo(new long[] { 5 }));
    }

    [Test]
    public void Rows_read_up_to_the_limit_settle_a_page_only_with_one_visible_row_past_it()
    {
        var read = Documents(10);

        var settled = RecordDocuments.Page(read, limit: 10, _ => true, offset: 0, count: 3);
        var unsettled = RecordDocuments.Page(read, limit: 10, d => d.Row.Id < 4, offset: 0, count: 3);

        Assert.Multiple(() =>
        {
            Assert.That(settled?.Select(r => r.Id), Is.EqualTo(new long[] { 1, 2, 3, 4 }), "the page and one more: more follow");
            Assert.That(unsettled, Is.Null, "three visible among the ten read: the eleventh row could be a fourth");
        });
    }

    [TestCase("patient=abc", "abc")]
    [TestCase("patient=Patient/abc", "abc")]
    [TestCase("patient=abc&_count=5", "abc")]
    [TestCase("patient=abc&_total=accurate", null)]
    [TestCase("patient=abc&_sort=_id", null)]
    [TestCase("patient=abc&status=current", null)]
    [TestCase("patient=abc,def", null)]
    [TestCase("subject=Patient/abc", null)]
    [TestCase("patient:Patient=abc", null)]
    [TestCase("patient=abc&_include=DocumentReference:subject", null)]
    [TestCase("patient=abc&_summary=count", null)]
    public void Only_the_plain_search_of_one_records_documents_is_judged_in_memory(string query, string? record)
    {
        var parameters = query.Split('&').Select(p => p.Split('=', 2)).Select(p => new KeyValuePair<string, string>(p[0], p[1]));
        var request = SearchRequest.Parse("DocumentReference", parameters, Registry, new SearchOptions(), strict: true);

        Assert.That(RecordDocuments.RecordOf(request, offset: 0), Is.EqualTo(record));
    }

    private static List<RecordDocument> Documents(int count) =>
        [.. Enumerable.Range(1, count).Select(i => new RecordDocument(
            new ResourceRow { Id = i, ResourceType = "DocumentReference", LogicalId = $"d{i}", VersionId = 1, Data = [] }, 1, 1, null))];
}
