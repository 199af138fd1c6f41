using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// A hidden document (here masked by the patient, DMP-RULES §2 rule 6) cannot be seen or counted through any door: each
/// test plants one in a record the professional may read and knocks on one door.
/// </summary>
public sealed class HiddenDocumentDoorTests(TestStore store) : StoreFixture(store)
{
    private const string Reader = "810006000001";
    private const string SecondReader = "810006000002";

    private FhirHttp AsReader => Fhir.As(Tokens.Professional(Reader));

    /// <summary>A record the reader may read, with a masked document and two visible ones (oldest first).</summary>
    private async Task<(Patient Patient, FhirHttp AsPatient, DocumentReference Hidden, DocumentReference[] Visible)> PlantedAsync()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(Reader, SecondReader);
        var first = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2026-01-01T10:00:00Z"));
        var hidden = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2026-01-02T10:00:00Z").Type(Systems.Loinc, "68599-0")
            .SecurityLabel(Systems.Visibility, "MASQUE_PS"));
        var second = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2026-01-03T10:00:00Z"));
        return (patient, asPatient, hidden, [first, second]);
    }

    /// <summary>A visible document that appends to the hidden one (relatesTo appends): a door into it for _include and chains.</summary>
    private Task<DocumentReference> AppendixToAsync(Patient patient, DocumentReference hidden)
    {
        var appendix = DocumentBuilder.For(patient).Build();
        appendix.RelatesTo.Add(new DocumentReference.RelatesToComponent
        {
            Code = DocumentRelationshipType.Appends,
            Target = new ResourceReference($"DocumentReference/{hidden.Id}"),
        });
        return Fhir.CreatedAsync(appendix);
    }

    [Test]
    public async Task Search_results_total_and_count_leave_out_the_hidden_document()
    {
        var (patient, _, hidden, visible) = await PlantedAsync();

        var search = await AsReader.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_total=accurate");
        var count = await AsReader.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_summary=count");
        var byId = await AsReader.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_id={hidden.Id}&_total=accurate");

        Assert.Multiple(() =>
        {
            Assert.That(search.MatchIds(), Is.EquivalentTo(visible.Select(v => v.Id)));
            Assert.That(search.Total, Is.EqualTo(2));
            Assert.That(count.Total, Is.EqualTo(2));
            Assert.That(byId.Total, Is.EqualTo(0));
        });
    }

    [Test]
    public async Task Read_vread_history_and_content_answer_404_as_for_a_document_that_does_not_exist()
    {
        var (_, _, hidden, _) = await PlantedAsync();

        var read = await AsReader.GetAsync($"fhir/DocumentReference/{hidden.Id}");
        var vread = await AsReader.GetAsync($"fhir/DocumentReference/{hidden.Id}/_history/1");
        var history = await AsReader.GetAsync($"fhir/DocumentReference/{hidden.Id}/_history");
        var content = await AsReader.GetAsync(hidden.Content.Single().Attachment.Url!);
        var absent = await AsReader.GetAsync($"fhir/DocumentReference/{Guid.NewGuid():N}");

        Assert.Multiple(() =>
        {
            foreach (var response in new[] { read, vread, history, content })
            {
                Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), response.ToString());
                Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(absent.Outcome.Issue.Single().Code));
            }
        });
    }

    [Test]
    public async Task Include_does_not_bring_in_a_hidden_document()
    {
        var (patient, _, hidden, _) = await PlantedAsync();
        var appendix = await AppendixToAsync(patient, hidden);

        var bundle = await AsReader.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_id={appendix.Id}&_include=DocumentReference:relatesto");

        Assert.Multiple(() =>
        {
            Assert.That(bundle.MatchIds(), Is.EqualTo(new[] { appendix.Id }));
            Assert.That(bundle.Entry.Select(e => e.Resource?.Id), Does.Not.Contain(hidden.Id));
        });
    }

    [Test]
    public async Task A_chained_parameter_does_not_reach_through_a_hidden_document()
    {
        var (patient, _, hidden, _) = await PlantedAsync();
        var appendix = await AppendixToAsync(patient, hidden);
        var probe = $"patient={patient.Id}&relatesto.type={Uri.EscapeDataString(Systems.Loinc + "|68599-0")}";

        var asReader = await AsReader.SearchBundleAsync("DocumentReference", probe);
        var asAuthor = await Fhir.SearchBundleAsync("DocumentReference", probe);

        Assert.Multiple(() =>
        {
            Assert.That(asReader.MatchIds(), Is.Empty, "the chain would reveal that a psychiatric summary hides behind the appendix");
            Assert.That(asAuthor.MatchIds(), Is.EqualTo(new[] { appendix.Id }), "the author, who sees it, finds the appendix by it");
        });
    }

    [Test]
    public async Task Paging_never_shows_the_hidden_document_and_pages_are_full()
    {
        var (patient, _, _, visible) = await PlantedAsync();

        var first = await AsReader.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_sort=date&_count=1");
        var next = await AsReader.GetAsync(first.LinkUrl("next")!);
        var second = next.Resource<Bundle>();

        Assert.Multiple(() =>
        {
            Assert.That(first.MatchIds(), Is.EqualTo(new[] { visible[0].Id }));
            Assert.That(second.MatchIds(), Is.EqualTo(new[] { visible[1].Id }), "the next page skips the hidden one, not short");
            Assert.That(second.Link.Select(l => l.Relation), Does.Not.Contain("next"), "two visible documents: two pages");
        });
    }

    [Test]
    public async Task A_page_token_is_rechecked_and_a_document_masked_meanwhile_drops_out()
    {
        var (patient, asPatient, _, visible) = await PlantedAsync();
        var first = await AsReader.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_sort=date&_count=1");

        await asPatient.PatchAsync($"fhir/DocumentReference/{visible[1].Id}", JsonPatches.Mask);
        var second = (await AsReader.GetAsync(first.LinkUrl("next")!)).Resource<Bundle>();

        Assert.That(second.MatchIds(), Is.Empty);
    }

    [Test]
    public async Task A_page_token_minted_for_one_professional_is_refused_to_another()
    {
        var (patient, _, _, _) = await PlantedAsync();
        var first = await AsReader.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_count=1");

        var stolen = await Fhir.As(Tokens.Professional(SecondReader)).GetAsync(first.LinkUrl("next")!);

        Assert.Multiple(() =>
        {
            Assert.That((int)stolen.Status, Is.InRange(400, 403), stolen.ToString());
            Assert.That(stolen.Text, Does.Not.Contain(patient.Id!), "nothing of the record in the refusal");
        });
    }

    [Test]
    public async Task Conditional_create_does_not_match_a_hidden_document()
    {
        var (patient, _, hidden, _) = await PlantedAsync();

        var created = await AsReader.CreateAsync(DocumentBuilder.For(patient).Build(),
            r => r.Headers.TryAddWithoutValidation("If-None-Exist", $"patient={patient.Id}&_id={hidden.Id}"));

        Assert.Multiple(() =>
        {
            Assert.That(created.Status, Is.EqualTo(HttpStatusCode.Created), "as if nothing matched: nothing of the hidden one comes back");
            Assert.That(created.Resource<DocumentReference>().Id, Is.Not.EqualTo(hidden.Id));
        });
    }

    [Test]
    public async Task A_professionals_conditional_create_must_name_the_patient_like_a_search()
    {
        var (patient, _, hidden, _) = await PlantedAsync();

        var created = await AsReader.CreateAsync(DocumentBuilder.For(patient).Build(),
            r => r.Headers.TryAddWithoutValidation("If-None-Exist", $"_id={hidden.Id}"));
        var count = await AsReader.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_summary=count");

        Assert.Multiple(() =>
        {
            Assert.That(created.Status, Is.EqualTo(HttpStatusCode.BadRequest), created.ToString());
            Assert.That(created.Diagnostics, Does.Contain("must name the patient"));
            Assert.That(count.Total, Is.EqualTo(2), "nothing was created");
        });
    }
}
