using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// IHE MHD / PDSm Lists: the SubmissionSet and Folders of an ITI-65 Provide Document Bundle are stored as Lists of the
/// record, found by ITI-66 (`GET List?…`), and never reveal a document the reader may not see.
/// </summary>
public sealed class DocumentListTests(TestStore store) : StoreFixture(store)
{
    private const string Reader = "810006100001";
    private const string MhdListTypes = "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes";

    private async Task<Bundle> PublishAsync(Bundle bundle, FhirHttp? client = null)
    {
        var published = await (client ?? Fhir).SendAsync(HttpMethod.Post, "fhir", FhirHttp.JsonContent(bundle), null);
        Assert.That(published.Status, Is.EqualTo(HttpStatusCode.OK), published.ToString());
        return published.Resource<Bundle>();
    }

    private static string IdAt(Bundle response, string type) =>
        response.Entry.Select(e => e.Response!.Location!).Single(l => l.StartsWith(type + "/", StringComparison.Ordinal)).Split('/')[1];

    [Test]
    public async Task The_submission_set_is_stored_with_its_entries_and_answers_201_with_its_location()
    {
        var patient = await CreatePatientAsync();

        var response = await PublishAsync(DocumentBundleBuilder.For(patient).With(DocumentBuilder.For(patient)).Build());
        var listId = IdAt(response, "List");
        var list = (await Fhir.GetAsync($"fhir/List/{listId}")).Resource<List>();

        Assert.Multiple(() =>
        {
            Assert.That(response.Entry[0].Response!.Status, Is.EqualTo("201 Created"), "the SubmissionSet entry is created like the others");
            Assert.That(response.Entry[0].Response!.Location, Is.EqualTo($"List/{listId}/_history/1"));
            Assert.That(list.Entry.Select(e => e.Item.Reference), Is.EqualTo(new[] { $"DocumentReference/{IdAt(response, "DocumentReference")}" }),
                "the entry's urn:uuid became the stored document");
            Assert.That(list.Subject!.Reference, Is.EqualTo($"Patient/{patient.Id}"));
        });
    }

    [Test]
    public async Task A_folder_in_the_bundle_is_stored_and_the_submission_set_names_it()
    {
        var patient = await CreatePatientAsync();

        var response = await PublishAsync(DocumentBundleBuilder.For(patient).With(DocumentBuilder.For(patient)).WithFolder().Build());
        var folders = await Fhir.SearchBundleAsync("List", $"patient={patient.Id}&code={MhdListTypes}|folder");
        var submissionSets = await Fhir.SearchBundleAsync("List", $"patient={patient.Id}&code={MhdListTypes}|submissionset&status=current");
        var submissionSet = submissionSets.Entry.Select(e => e.Resource).OfType<List>().Single();

        Assert.Multiple(() =>
        {
            Assert.That(response.Entry.Count(e => e.Response!.Status == "201 Created" && e.Response.Location!.StartsWith("List/", StringComparison.Ordinal)), Is.EqualTo(2));
            Assert.That(folders.MatchIds(), Has.Length.EqualTo(1));
            Assert.That(submissionSet.Entry.Select(e => e.Item.Reference), Does.Contain($"List/{folders.MatchIds().Single()}"));
        });
    }

    [Test]
    public async Task A_bundle_without_a_submission_set_is_refused_with_422_and_stores_nothing()
    {
        var patient = await CreatePatientAsync();
        var bundle = DocumentBundleBuilder.For(patient).With(DocumentBuilder.For(patient)).Build();
        bundle.Entry.RemoveAll(e => e.Resource is List);

        var published = await Fhir.SendAsync(HttpMethod.Post, "fhir", FhirHttp.JsonContent(bundle), null);
        var stored = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_summary=count");

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), published.ToString());
            Assert.That(stored.Total, Is.EqualTo(0));
        });
    }

    [Test]
    public async Task Find_document_lists_searches_by_identifier_and_date()
    {
        var patient = await CreatePatientAsync();
        var response = await PublishAsync(DocumentBundleBuilder.For(patient).With(DocumentBuilder.For(patient)).Build());
        var listId = IdAt(response, "List");
        var identifier = ((await Fhir.GetAsync($"fhir/List/{listId}")).Resource<List>()).Identifier.Single();

        var byIdentifier = await Fhir.SearchBundleAsync("List", $"patient={patient.Id}&identifier={identifier.System}|{Uri.EscapeDataString(identifier.Value!)}");
        var tooLate = await Fhir.SearchBundleAsync("List", $"patient={patient.Id}&date=gt2999-01-01");

        Assert.Multiple(() =>
        {
            Assert.That(byIdentifier.MatchIds(), Is.EqualTo(new[] { listId }));
            Assert.That(tooLate.MatchIds(), Is.Empty);
        });
    }

    [Test]
    public async Task A_list_naming_a_document_hidden_from_the_reader_is_hidden_as_a_whole()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(Reader);
        var response = await PublishAsync(DocumentBundleBuilder.For(patient).With(DocumentBuilder.For(patient)).Build());
        var listId = IdAt(response, "List");
        var documentId = IdAt(response, "DocumentReference");
        var asReader = Fhir.As(Tokens.Professional(Reader));
        var seenBefore = await asReader.SearchBundleAsync("List", $"patient={patient.Id}");

        // The patient masks the document (DMP-RULES §2 rule 6): the reader may no longer see it, nor the List that names it.
        var masked = await asPatient.PatchAsync($"fhir/DocumentReference/{documentId}", JsonPatches.Mask);
        var read = await asReader.GetAsync($"fhir/List/{listId}");
        var history = await asReader.GetAsync($"fhir/List/{listId}/_history/1");
        var seenAfter = await asReader.SearchBundleAsync("List", $"patient={patient.Id}&_total=accurate");
        var seenByAuthor = await Fhir.GetAsync($"fhir/List/{listId}");

        Assert.Multiple(() =>
        {
            Assert.That(masked.Status, Is.EqualTo(HttpStatusCode.OK), masked.ToString());
            Assert.That(seenBefore.MatchIds(), Is.EqualTo(new[] { listId }), "visible while its document is");
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.NotFound), "hidden looks absent");
            Assert.That(history.Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(seenAfter.MatchIds(), Is.Empty);
            Assert.That(seenAfter.Total, Is.EqualTo(0));
            Assert.That(seenByAuthor.Status, Is.EqualTo(HttpStatusCode.OK), "the author still sees their own deposit");
        });
    }

    [Test]
    public async Task A_list_naming_a_document_of_another_record_is_refused_with_422()
    {
        var patient = await CreatePatientAsync();
        var other = await CreateDocumentAsync(DocumentBuilder.For(await CreatePatientAsync()));
        var folder = FolderBuilder.For(patient, other.Id!);

        var created = await Fhir.SendAsync(HttpMethod.Post, "fhir/List", FhirHttp.JsonContent(folder), null);

        Assert.That(created.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), created.ToString());
    }
}
