using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// A document's uniqueId (DocumentReference.masterIdentifier, IHE XDS/MHD) names one document: a second deposit with it
/// answers 409 with issue code duplicate (XDSDuplicateUniqueIdInRegistry), by create, by ITI-65, and when two instances race.
/// </summary>
public sealed class DocumentUniqueIdTests(TestStore store) : StoreFixture(store)
{
    private DmpApiApplication? _second;
    private FhirHttp? _secondFhir;

    private static string NewUniqueId() => "urn:uuid:" + Guid.NewGuid();

    [OneTimeSetUp]
    public void StartSecondInstance()
    {
        _second = new DmpApiApplication(Database);
        _secondFhir = new FhirHttp(_second.CreateClient(), Tokens.Professional());
    }

    [OneTimeTearDown]
    public async Task StopSecondInstanceAsync()
    {
        _secondFhir?.Http.Dispose();
        if (_second is not null)
        {
            await _second.DisposeAsync();
        }
    }

    private Task<Bundle> CountAsync(Patient patient) => Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_summary=count");

    [Test]
    public async Task A_second_document_with_the_same_unique_id_is_refused_with_409_duplicate()
    {
        var patient = await CreatePatientAsync();
        var uniqueId = NewUniqueId();
        await CreateDocumentAsync(DocumentBuilder.For(patient).UniqueId(uniqueId));

        var second = await Fhir.CreateAsync(DocumentBuilder.For(patient).UniqueId(uniqueId).Build());

        Assert.Multiple(async () =>
        {
            Assert.That(second.Status, Is.EqualTo(HttpStatusCode.Conflict), second.ToString());
            Assert.That(second.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.Duplicate));
            Assert.That(second.Diagnostics, Does.Contain(uniqueId).And.Contain("XDSDuplicateUniqueIdInRegistry"));
            Assert.That((await CountAsync(patient)).Total, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task The_unique_id_of_a_document_in_another_record_is_refused_too()
    {
        var uniqueId = NewUniqueId();
        await CreateDocumentAsync(DocumentBuilder.For(await CreatePatientAsync()).UniqueId(uniqueId));
        var other = await CreatePatientAsync();

        var second = await Fhir.CreateAsync(DocumentBuilder.For(other).UniqueId(uniqueId).Build());

        Assert.That(second.Status, Is.EqualTo(HttpStatusCode.Conflict), "a uniqueId is unique in the whole registry (IHE XDS), not per record");
    }

    [Test]
    public async Task A_replacement_carries_its_own_unique_id()
    {
        var patient = await CreatePatientAsync();
        var uniqueId = NewUniqueId();
        var old = await CreateDocumentAsync(DocumentBuilder.For(patient).UniqueId(uniqueId));

        var sameId = await Fhir.CreateAsync(DocumentBuilder.For(patient).Replacing(old.Id!).UniqueId(uniqueId).Build());
        var ownId = await Fhir.CreateAsync(DocumentBuilder.For(patient).Replacing(old.Id!).UniqueId(NewUniqueId()).Build());

        Assert.Multiple(() =>
        {
            Assert.That(sameId.Status, Is.EqualTo(HttpStatusCode.Conflict), sameId.ToString());
            Assert.That(ownId.Status, Is.EqualTo(HttpStatusCode.Created), ownId.ToString());
        });
    }

    [Test]
    public async Task A_provide_document_bundle_naming_a_registered_unique_id_stores_nothing()
    {
        var patient = await CreatePatientAsync();
        var uniqueId = NewUniqueId();
        await CreateDocumentAsync(DocumentBuilder.For(patient).UniqueId(uniqueId));
        var bundle = DocumentBundleBuilder.For(patient)
            .With(DocumentBuilder.For(patient).UniqueId(NewUniqueId()))
            .With(DocumentBuilder.For(patient).UniqueId(uniqueId))
            .Build();

        var published = await Fhir.SendAsync(HttpMethod.Post, "fhir", FhirHttp.JsonContent(bundle), null);

        Assert.Multiple(async () =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.Conflict), published.ToString());
            Assert.That((await CountAsync(patient)).Total, Is.EqualTo(1), "only the document stored before");
        });
    }

    [Test]
    public async Task Two_documents_of_one_bundle_with_the_same_unique_id_are_refused()
    {
        var patient = await CreatePatientAsync();
        var uniqueId = NewUniqueId();
        var bundle = DocumentBundleBuilder.For(patient)
            .With(DocumentBuilder.For(patient).UniqueId(uniqueId))
            .With(DocumentBuilder.For(patient).UniqueId(uniqueId))
            .Build();

        var published = await Fhir.SendAsync(HttpMethod.Post, "fhir", FhirHttp.JsonContent(bundle), null);

        Assert.Multiple(async () =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.Conflict), published.ToString());
            Assert.That((await CountAsync(patient)).Total, Is.EqualTo(0));
        });
    }

    [Test]
    public async Task Two_instances_racing_to_deposit_one_unique_id_store_one_document()
    {
        var patient = await CreatePatientAsync();
        var uniqueId = NewUniqueId();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? Fhir : _secondFhir!).CreateAsync(DocumentBuilder.For(patient).UniqueId(uniqueId).Build())));
        var byIdentifier = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&identifier=urn:ietf:rfc:3986|{uniqueId}");

        Assert.Multiple(() =>
        {
            Assert.That(answers.Count(a => a.Status == HttpStatusCode.Created), Is.EqualTo(1), string.Join("\n", answers.Select(a => a.ToString())));
            Assert.That(answers.Where(a => a.Status != HttpStatusCode.Created).Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.Conflict));
            Assert.That(byIdentifier.MatchIds(), Has.Length.EqualTo(1));
        });
    }

    [Test]
    public async Task A_conditional_patch_by_unique_id_finds_the_one_document()
    {
        var patient = await CreatePatientAsync();
        var uniqueId = NewUniqueId();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient).UniqueId(uniqueId));
        await Fhir.CreateAsync(DocumentBuilder.For(patient).UniqueId(uniqueId).Build());

        var patched = await Fhir.PatchAsync($"fhir/DocumentReference?identifier=urn:ietf:rfc:3986|{uniqueId}",
            """[{ "op": "replace", "path": "/status", "value": "superseded" }]""");

        Assert.Multiple(() =>
        {
            Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.OK), patched.ToString());
            Assert.That(patched.Resource<DocumentReference>().Id, Is.EqualTo(document.Id));
        });
    }
}
