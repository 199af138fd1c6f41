using System.Net;
using System.Text;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// What a search answers besides its criteria (DESIGN §4 "Search"; FHIR R4 §3.1.1.5): paging with signed page tokens
/// bound to the requester, _sort, _include, _total, _summary=count, and lenient versus strict handling.
/// </summary>
public sealed class SearchResultTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task A_search_answers_a_searchset_Bundle_with_a_self_link()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var bundle = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(bundle.Type, Is.EqualTo(Bundle.BundleType.Searchset));
            Assert.That(bundle.LinkUrl("self"), Does.StartWith("http://localhost/fhir/DocumentReference?"));
            Assert.That(bundle.Entry.Single().FullUrl, Is.EqualTo($"http://localhost/fhir/DocumentReference/{document.Id}"));
            Assert.That(bundle.Entry.Single().Search?.Mode, Is.EqualTo(Bundle.SearchEntryMode.Match));
        });
    }

    [Test]
    public async Task Next_links_walk_through_every_result_without_overlap_or_gap()
    {
        var patient = await CreatePatientAsync();
        var created = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            created.Add((await CreateDocumentAsync(DocumentBuilder.For(patient))).Id!);
        }

        var seen = new List<string>();
        var pages = 0;
        var bundle = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_count=3");
        while (true)
        {
            pages++;
            seen.AddRange(bundle.MatchIds());
            var next = bundle.Link.SingleOrDefault(l => l.Relation == "next")?.Url;
            if (next is null || pages > 10)
            {
                break;
            }

            var response = await Fhir.GetAsync(next);
            Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
            bundle = response.Resource<Bundle>();
        }

        Assert.Multiple(() =>
        {
            Assert.That(pages, Is.EqualTo(3));
            Assert.That(seen, Is.Unique);
            Assert.That(seen, Is.EquivalentTo(created));
        });
    }

    [Test]
    public async Task A_later_page_links_back_to_the_previous_one()
    {
        var patient = await CreatePatientAsync();
        for (var i = 0; i < 3; i++)
        {
            await CreateDocumentAsync(DocumentBuilder.For(patient));
        }

        var first = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_count=2");
        var second = (await Fhir.GetAsync(first.LinkUrl("next"))).Resource<Bundle>();
        var back = (await Fhir.GetAsync(second.LinkUrl("previous"))).Resource<Bundle>();

        Assert.That(back.MatchIds(), Is.EqualTo(first.MatchIds()));
    }

    [Test]
    public async Task A_tampered_page_token_answers_400()
    {
        var patient = await CreatePatientAsync();
        for (var i = 0; i < 3; i++)
        {
            await CreateDocumentAsync(DocumentBuilder.For(patient));
        }

        var first = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_count=2");
        var next = first.LinkUrl("next");
        var tampered = TamperWithPayload(next, otherPatientId: Guid.NewGuid().ToString("N"));

        var response = await Fhir.GetAsync(tampered);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Outcome.Issue, Is.Not.Empty);
    }

    [Test]
    public async Task A_page_token_used_by_another_requester_answers_400()
    {
        var patient = await CreatePatientAsync();
        for (var i = 0; i < 3; i++)
        {
            await CreateDocumentAsync(DocumentBuilder.For(patient));
        }

        var first = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_count=2");
        var next = first.LinkUrl("next");

        var response = await Fhir.As(Tokens.Professional(idNatPs: "810009999999")).GetAsync(next);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("requester"));
    }

    [Test]
    public async Task A_page_token_of_another_resource_type_answers_400()
    {
        var patient = await CreatePatientAsync();
        for (var i = 0; i < 3; i++)
        {
            await CreateDocumentAsync(DocumentBuilder.For(patient));
        }

        var first = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_count=2");
        var token = new Uri(first.LinkUrl("next")).Query;

        var response = await Fhir.GetAsync($"fhir/AllergyIntolerance{token}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
    }

    [Test]
    public async Task Sort_by_date_orders_oldest_first()
    {
        var patient = await CreatePatientAsync();
        var middle = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2024-02-01T10:00:00Z"));
        var newest = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2024-03-01T10:00:00Z"));
        var oldest = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2024-01-01T10:00:00Z"));

        var bundle = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_sort=date");

        Assert.That(bundle.MatchIds(), Is.EqualTo(new[] { oldest.Id, middle.Id, newest.Id }));
    }

    [Test]
    public async Task Sort_by_minus_date_orders_newest_first()
    {
        var patient = await CreatePatientAsync();
        var middle = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2024-02-01T10:00:00Z"));
        var oldest = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2024-01-01T10:00:00Z"));
        var newest = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2024-03-01T10:00:00Z"));

        var bundle = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_sort=-date");

        Assert.That(bundle.MatchIds(), Is.EqualTo(new[] { newest.Id, middle.Id, oldest.Id }));
    }

    [Test]
    public async Task Sort_by_date_holds_across_pages()
    {
        var patient = await CreatePatientAsync();
        var byDate = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var day in new[] { "05", "01", "04", "02", "03" })
        {
            var document = await CreateDocumentAsync(DocumentBuilder.For(patient).Date($"2024-01-{day}T10:00:00Z"));
            byDate[day] = document.Id!;
        }

        var first = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_sort=-date&_count=2");
        var second = (await Fhir.GetAsync(first.LinkUrl("next"))).Resource<Bundle>();
        var third = (await Fhir.GetAsync(second.LinkUrl("next"))).Resource<Bundle>();

        Assert.That(first.MatchIds().Concat(second.MatchIds()).Concat(third.MatchIds()), Is.EqualTo(byDate.Values.Reverse()));
    }

    [Test]
    public async Task Sort_by_minus_lastUpdated_orders_the_latest_written_first()
    {
        var patient = await CreatePatientAsync();
        var first = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2024-03-01T10:00:00Z"));
        var second = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2024-01-01T10:00:00Z"));
        var third = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2024-02-01T10:00:00Z"));

        var bundle = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_sort=-_lastUpdated");

        Assert.That(bundle.MatchIds(), Is.EqualTo(new[] { third.Id, second.Id, first.Id }));
    }

    [Test]
    public async Task Without_count_a_page_holds_20_entries()
    {
        var patient = await CreatePatientAsync();
        for (var i = 0; i < 21; i++)
        {
            await CreateDocumentAsync(DocumentBuilder.For(patient).Content(null));
        }

        var bundle = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(bundle.MatchIds(), Has.Length.EqualTo(20));
            Assert.That(bundle.Link.Select(l => l.Relation), Does.Contain("next"));
        });
    }

    [Test]
    public async Task Sort_by_an_unsupported_parameter_answers_400()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.SearchAsync("DocumentReference", $"patient={patient.Id}&_sort=status");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
    }

    [Test]
    public async Task Include_subject_adds_the_Patient_as_an_include_entry()
    {
        var patient = await CreatePatientAsync();
        await CreateDocumentAsync(DocumentBuilder.For(patient));
        await CreateDocumentAsync(DocumentBuilder.For(patient));

        var bundle = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_include=DocumentReference:subject");

        var included = bundle.Entry.Where(e => e.Search?.Mode == Bundle.SearchEntryMode.Include).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(bundle.MatchIds(), Has.Length.EqualTo(2));
            Assert.That(included, Has.Count.EqualTo(1));
            Assert.That(included.Single().Resource, Is.InstanceOf<Patient>());
            Assert.That(included.Single().Resource?.Id, Is.EqualTo(patient.Id));
        });
    }

    [Test]
    public async Task An_unsupported_include_answers_400()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.SearchAsync("DocumentReference", $"patient={patient.Id}&_include=Patient:organization");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
    }

    [Test]
    public async Task Total_accurate_counts_every_match_not_just_the_page()
    {
        var patient = await CreatePatientAsync();
        for (var i = 0; i < 5; i++)
        {
            await CreateDocumentAsync(DocumentBuilder.For(patient));
        }

        var bundle = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_count=2&_total=accurate");

        Assert.Multiple(() =>
        {
            Assert.That(bundle.Total, Is.EqualTo(5));
            Assert.That(bundle.Entry, Has.Count.EqualTo(2));
        });
    }

    [Test]
    public async Task Summary_count_gives_the_total_and_no_entries()
    {
        var patient = await CreatePatientAsync();
        for (var i = 0; i < 3; i++)
        {
            await CreateDocumentAsync(DocumentBuilder.For(patient));
        }

        var bundle = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_summary=count");

        Assert.Multiple(() =>
        {
            Assert.That(bundle.Total, Is.EqualTo(3));
            Assert.That(bundle.Entry, Is.Empty);
        });
    }

    // DESIGN §4: never a 500 for anything a client sent.
    [TestCase("date=ge")]
    [TestCase("date=")]
    [TestCase("_lastUpdated=soon")]
    [TestCase("_id:missing=true")]
    [TestCase("patient:missing=maybe")]
    [TestCase("patient:NoSuchType=1")]
    [TestCase("patient.no-such-parameter=1")]
    [TestCase("subject.identifier=urn:oid:1.2.250.1.213.1.4.8%7C1")]
    [TestCase("type=%7C")]
    [TestCase("type=a%7Cb%7Cc")]
    [TestCase("_sort=")]
    [TestCase("_sort=-")]
    [TestCase("_include=DocumentReference")]
    [TestCase("_include=DocumentReference:subject:NoSuchType")]
    [TestCase("_total=maybe")]
    [TestCase("_summary=true")]
    [TestCase("_count=99999999999")]
    [TestCase("_page=")]
    [TestCase("_page=not-a-token")]
    [TestCase("status=%00")]
    public async Task An_odd_search_never_answers_a_server_error(string criterion)
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.SearchAsync("DocumentReference", $"patient={patient.Id}&{criterion}");

        Assert.That((int)response.Status, Is.LessThan(500), response.ToString());
        Assert.That(response.MediaType, Is.EqualTo(FhirHttp.Json), response.ToString());
    }

    [TestCase("abc")]
    [TestCase("-1")]
    public async Task An_invalid_count_answers_400(string count)
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.SearchAsync("DocumentReference", $"patient={patient.Id}&_count={count}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
    }

    [Test]
    public async Task An_unknown_parameter_is_ignored_and_reported_in_an_OperationOutcome_entry()
    {
        var patient = await CreatePatientAsync();
        var first = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var second = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var bundle = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&no-such-parameter=42");

        var outcome = bundle.Entry.Where(e => e.Search?.Mode == Bundle.SearchEntryMode.Outcome).Select(e => e.Resource).OfType<OperationOutcome>().SingleOrDefault();
        Assert.Multiple(() =>
        {
            Assert.That(bundle.MatchIds(), Is.EquivalentTo(new[] { first.Id, second.Id }));
            Assert.That(outcome, Is.Not.Null);
            Assert.That(outcome?.Issue.Single().Severity, Is.EqualTo(OperationOutcome.IssueSeverity.Warning));
            Assert.That(outcome?.Issue.Single().Diagnostics, Does.Contain("no-such-parameter"));
        });
    }

    [Test]
    public async Task An_unknown_parameter_answers_400_under_Prefer_handling_strict()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.SearchAsync("DocumentReference", $"patient={patient.Id}&no-such-parameter=42",
            r => r.Headers.TryAddWithoutValidation("Prefer", "handling=strict"));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("no-such-parameter"));
    }

    [Test]
    public async Task Known_parameters_are_accepted_under_Prefer_handling_strict()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var bundle = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&status=current",
            r => r.Headers.TryAddWithoutValidation("Prefer", "handling=strict"));

        Assert.That(bundle.MatchIds(), Is.EquivalentTo(new[] { document.Id }));
    }

    /// <summary>Rewrites the token's payload to search another patient's record, keeping the original signature.</summary>
    private static string TamperWithPayload(string nextUrl, string otherPatientId)
    {
        var uri = new Uri(nextUrl);
        var token = Uri.UnescapeDataString(uri.Query["?_page=".Length..]);
        var dot = token.IndexOf('.', StringComparison.Ordinal);
        var payload = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(token.AsSpan(0, dot)));
        var forged = System.Text.RegularExpressions.Regex.Replace(payload, "patient=[0-9a-f]+", "patient=" + otherPatientId);
        Assert.That(forged, Is.Not.EqualTo(payload), "Arrange: the page token's payload should carry the search");
        var forgedToken = System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(forged)) + token[dot..];
        return $"{uri.GetLeftPart(UriPartial.Path)}?_page={Uri.EscapeDataString(forgedToken)}";
    }
}

/// <summary>Page tokens expire (DESIGN §4), in a fixture whose tokens live one second.</summary>
public sealed class PageTokenExpiryTests(TestStore store) : StoreFixture(store)
{
    protected override IReadOnlyDictionary<string, string?> Settings { get; } =
        new Dictionary<string, string?> { ["Search:PageTokenLifetime"] = "00:00:01" };

    [Test]
    public async Task An_expired_page_token_answers_400()
    {
        var patient = await CreatePatientAsync();
        for (var i = 0; i < 3; i++)
        {
            await CreateDocumentAsync(DocumentBuilder.For(patient).Content(null));
        }

        var first = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_count=2");
        await Task.Delay(TimeSpan.FromSeconds(2.2)); // expiry is checked in whole seconds

        var response = await Fhir.GetAsync(first.LinkUrl("next"));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("expired"));
    }
}
