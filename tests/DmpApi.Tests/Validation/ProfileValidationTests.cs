using System.Net;
using System.Security.Cryptography;
using DmpApi.Fhir;
using DmpApi.Tests.Infrastructure;
using DmpApi.Validation;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Validation;

/// <summary>
/// Validation on write (issue 13 item 4, docs/VALIDATION.md): a write conforms to its core R4 type and to every profile of
/// its meta.profile that the server supports; an ITI-65 Bundle declaring PDSm's comprehensive profile holds its entries to
/// PDSm's comprehensive profiles. Otherwise 422 with the validator's issues, and nothing written.
/// </summary>
public sealed class ProfileValidationTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task The_PDSm_examples_published_in_a_comprehensive_bundle_are_accepted()
    {
        var patient = await CreatePatientAsync();

        var published = await PublishAsync(PdsmBundle.For(patient).Build());

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.OK), published.ToString());
            Assert.That(published.Resource<Bundle>().Entry.Select(e => e.Response!.Status), Has.All.EqualTo("201 Created"));
        });
    }

    [Test]
    public async Task The_PDSm_simplified_publication_example_is_accepted()
    {
        var patient = await CreatePatientAsync();
        var document = PdsmExamples.Load<DocumentReference>("DR_simplified.json", patient);

        var created = await Fhir.CreateAsync(document);

        Assert.That(created.Status, Is.EqualTo(HttpStatusCode.Created), created.ToString());
    }

    [Test]
    public async Task A_comprehensive_document_without_a_title_is_refused_naming_the_element()
    {
        var patient = await CreatePatientAsync();

        var published = await PublishAsync(PdsmBundle.For(patient).Document(d => d.Content.Single().Attachment.Title = null).Build());

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), published.ToString());
            Assert.That(published.Outcome.Issue.Select(i => i.Details?.Text ?? string.Empty), Has.Some.Contains("'title'"), published.ToString());
            Assert.That(published.Outcome.Issue.SelectMany(i => i.Expression), Has.Some.StartsWith("Bundle.entry[2].resource"), "the entry the issue is about");
        });
    }

    [Test]
    public async Task A_bundle_with_one_non_conformant_entry_writes_nothing()
    {
        var patient = await CreatePatientAsync();
        var bundle = PdsmBundle.For(patient).Build();
        var folder = bundle.Entry.Select(e => e.Resource).OfType<List>().Single(l => l.Title == "Classeur de suivi diabète");
        folder.Title = null; // PDSm_FolderComprehensive (IHE MHD FolderComprehensive): title 1..1

        var published = await PublishAsync(bundle);
        var documents = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_summary=count");
        var lists = await Fhir.SearchBundleAsync("List", $"patient={patient.Id}&_summary=count");

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), published.ToString());
            Assert.That(published.Outcome.Issue.Select(i => i.Details?.Text ?? string.Empty), Has.Some.Contains("'title'"), published.ToString());
            Assert.That(documents.Total, Is.EqualTo(0));
            Assert.That(lists.Total, Is.EqualTo(0));
        });
    }

    [Test]
    public async Task A_document_declaring_the_PDSm_comprehensive_profile_is_held_to_it_on_a_create()
    {
        var patient = await CreatePatientAsync();
        var document = DocumentBuilder.For(patient).Build();
        document.Meta = new Meta { Profile = [Conformance.ComprehensiveDocumentReference] };

        var created = await Fhir.CreateAsync(document);

        Assert.Multiple(() =>
        {
            Assert.That(created.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), created.ToString());
            Assert.That(created.Outcome.Issue.Select(i => i.Details?.Text ?? string.Empty), Has.Some.Contains("'masterIdentifier'"), created.ToString());
        });
    }

    [Test]
    public async Task A_declared_profile_the_server_does_not_know_is_not_held_against_the_write()
    {
        var patient = await CreatePatientAsync();
        var document = DocumentBuilder.For(patient).Build();
        document.Meta = new Meta { Profile = ["https://example.org/fhir/StructureDefinition/vendor-document"] };

        var created = await Fhir.CreateAsync(document);

        Assert.That(created.Status, Is.EqualTo(HttpStatusCode.Created), created.ToString());
    }

    [Test]
    public async Task A_write_breaking_a_core_R4_invariant_is_refused_and_not_stored()
    {
        var patient = await CreatePatientAsync();
        // per-1 (FHIR R4 Period): the start is not after the end.
        var document = DocumentBuilder.For(patient).Period("2025-04-25", "2025-04-20").Build();

        var created = await Fhir.CreateAsync(document);
        var stored = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_summary=count");

        Assert.Multiple(() =>
        {
            Assert.That(created.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), created.ToString());
            Assert.That(created.Text, Does.Contain("per-1"));
            Assert.That(stored.Total, Is.EqualTo(0));
        });
    }

    [Test]
    public async Task The_capability_statement_lists_the_profiles_it_validates()
    {
        var metadata = await Fhir.GetAsync("fhir/metadata");
        var supported = metadata.Resource<CapabilityStatement>().Rest.Single().Resource.SelectMany(r => r.SupportedProfile).ToList();

        Assert.That(supported, Is.SupersetOf(new[]
        {
            Conformance.ComprehensiveDocumentReference, Conformance.SimplifiedPublish, Conformance.SubmissionSetComprehensive, Conformance.FolderComprehensive,
        }));
    }

    private Task<FhirResponse> PublishAsync(Bundle bundle) => Fhir.SendAsync(HttpMethod.Post, "fhir", FhirHttp.JsonContent(bundle), null);
}

/// <summary>
/// PDSm's own examples (input/fsh/Examples of ansforge/IG-fhir-partage-de-documents-de-sante, translated to JSON under
/// Validation/PdsmExamples), pointed at a patient of the test record and given a fresh masterIdentifier.
/// </summary>
internal static class PdsmExamples
{
    public static T Load<T>(string file, Patient patient) where T : Resource
    {
        var json = File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "Validation", "PdsmExamples", file))
            .Replace("Patient/fr-patient-123", $"Patient/{patient.Id}", StringComparison.Ordinal);
        var resource = (T)FhirWire.DeserializeJson(System.Text.Encoding.UTF8.GetBytes(json));
        resource.Id = null;
        if (resource is DocumentReference { MasterIdentifier: { } master })
        {
            master.Value = "urn:uuid:" + Guid.NewGuid();
        }

        return resource;
    }
}

/// <summary>
/// An ITI-65 Bundle declaring PDSm_ComprehensiveProvideDocumentBundle, made of PDSm's examples: the SubmissionSet
/// (List_lotDeSoumission), the document (DR_comprehensive) with its content as a Binary entry, and the Folder (List_folder).
/// </summary>
internal sealed class PdsmBundle
{
    private readonly Patient _patient;
    private readonly List<Action<DocumentReference>> _changes = [];

    private PdsmBundle(Patient patient) => _patient = patient;

    public static PdsmBundle For(Patient patient) => new(patient);

    public PdsmBundle Document(Action<DocumentReference> change)
    {
        _changes.Add(change);
        return this;
    }

    public Bundle Build()
    {
        var document = PdsmExamples.Load<DocumentReference>("DR_comprehensive.json", _patient);
        var submission = PdsmExamples.Load<List>("List_lotDeSoumission.json", _patient);
        var folder = PdsmExamples.Load<List>("List_folder.json", _patient);
        var (binaryUrl, documentUrl, folderUrl) = ("urn:uuid:" + Guid.NewGuid(), "urn:uuid:" + Guid.NewGuid(), "urn:uuid:" + Guid.NewGuid());
        var pdf = TestPdf.Create();

        // The example's size and hash describe no real content: this server checks both against the Binary it stores.
        var attachment = document.Content.Single().Attachment;
        attachment.Url = binaryUrl;
        attachment.SizeElement = new UnsignedInt(pdf.Length);
        attachment.Hash = SHA1.HashData(pdf);
        foreach (var change in _changes)
        {
            change(document);
        }

        folder.Entry.Single().Item.Reference = documentUrl;
        submission.Entry.Single().Item.Reference = documentUrl;
        submission.Entry.Add(new List.EntryComponent { Item = new ResourceReference(folderUrl) });
        foreach (var identifier in submission.Identifier.Concat(folder.Identifier))
        {
            identifier.Value = "urn:uuid:" + Guid.NewGuid();
        }

        var bundle = new Bundle { Type = Bundle.BundleType.Transaction, Meta = new Meta { Profile = [Conformance.ComprehensiveProvideDocumentBundle] } };
        Add(bundle, submission, "urn:uuid:" + Guid.NewGuid());
        Add(bundle, new Binary { ContentType = "application/pdf", Data = pdf }, binaryUrl);
        Add(bundle, document, documentUrl);
        Add(bundle, folder, folderUrl);
        return bundle;
    }

    private static void Add(Bundle bundle, Resource resource, string fullUrl) =>
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            FullUrl = fullUrl,
            Resource = resource,
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = resource.TypeName },
        });
}
