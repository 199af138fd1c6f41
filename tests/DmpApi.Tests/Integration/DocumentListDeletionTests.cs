using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace DmpApi.Tests.Integration;

/// <summary>
/// PDSm's logical deletion and the Lists (ANS IG input/pagecontent/st_maj.md, "Répercussion sur les lots de soumission et
/// les classeurs"): the SubmissionSet and every Folder lose, for good, their entries naming the deleted document and the
/// documents it replaced; the SubmissionSet is otherwise unchanged and stays readable, a Folder's date becomes the deletion's.
/// </summary>
public sealed class DocumentListDeletionTests(TestStore store) : StoreFixture(store)
{
    private const string MhdListTypes = "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes";

    private async Task<(string[] Documents, List SubmissionSet, List Folder)> PublishTwoFiledDocumentsAsync(Patient patient)
    {
        var published = await Fhir.SendAsync(HttpMethod.Post, "fhir",
            FhirHttp.JsonContent(DocumentBundleBuilder.For(patient).With(DocumentBuilder.For(patient)).With(DocumentBuilder.For(patient)).WithFolder().Build()), null);
        Assert.That(published.Status, Is.EqualTo(HttpStatusCode.OK), published.ToString());
        var documents = published.Resource<Bundle>().Entry.Select(e => e.Response!.Location!)
            .Where(l => l.StartsWith("DocumentReference/", StringComparison.Ordinal)).Select(l => l.Split('/')[1]).ToArray();
        return (documents, await ListAsync(patient, "submissionset"), await ListAsync(patient, "folder"));
    }

    private async Task<List> ListAsync(Patient patient, string code, FhirHttp? client = null) =>
        (await (client ?? Fhir).SearchBundleAsync("List", $"patient={patient.Id}&code={MhdListTypes}|{code}")).Entry.Select(e => e.Resource).OfType<List>().Single();

    private static string[] Named(List list) => list.Entry.Select(e => e.Item.Reference!.Split('/')[^1]).ToArray();

    [Test]
    public async Task Deleting_a_document_withdraws_its_entries_from_its_submission_set_and_folders()
    {
        var patient = await CreatePatientAsync();
        var (documents, submissionSet, folder) = await PublishTwoFiledDocumentsAsync(patient);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        var deleted = await Fhir.DeleteAsync($"fhir/DocumentReference/{documents[0]}");
        var submissionSetNow = (await Fhir.GetAsync($"fhir/List/{submissionSet.Id}")).Resource<List>();
        var folderNow = (await Fhir.GetAsync($"fhir/List/{folder.Id}")).Resource<List>();

        Assert.Multiple(() =>
        {
            Assert.That(deleted.Status, Is.EqualTo(HttpStatusCode.NoContent), deleted.ToString());
            Assert.That(Named(submissionSetNow), Does.Not.Contain(documents[0]).And.Contain(documents[1]).And.Contain(folder.Id));
            Assert.That(submissionSetNow.Date, Is.EqualTo(submissionSet.Date), "a SubmissionSet is otherwise unchanged");
            Assert.That(submissionSetNow.Meta!.VersionId, Is.EqualTo("2"));
            Assert.That(Named(folderNow), Is.EqualTo(new[] { documents[1] }));
            Assert.That(DateTimeOffset.Parse(folderNow.Date!, System.Globalization.CultureInfo.InvariantCulture), Is.GreaterThan(before), "the Folder's date is the deletion's");
        });
    }

    [Test]
    public async Task The_entries_of_the_documents_it_replaced_are_withdrawn_too()
    {
        var patient = await CreatePatientAsync();
        var (documents, _, folder) = await PublishTwoFiledDocumentsAsync(patient);
        var replacement = await CreateDocumentAsync(DocumentBuilder.For(patient).Replacing(documents[0]));

        var deleted = await Fhir.DeleteAsync($"fhir/DocumentReference/{replacement.Id}");
        var folderNow = (await Fhir.GetAsync($"fhir/List/{folder.Id}")).Resource<List>();

        Assert.Multiple(() =>
        {
            Assert.That(deleted.Status, Is.EqualTo(HttpStatusCode.NoContent), deleted.ToString());
            Assert.That(Named(folderNow), Is.EqualTo(new[] { documents[1] }), "the replaced document is deleted with its replacement (PDSm), and leaves the Folder");
        });
    }

    [Test]
    public async Task A_deletion_by_FHIRPath_Patch_withdraws_the_entries_as_DELETE_does()
    {
        var patient = await CreatePatientAsync();
        var (documents, submissionSet, _) = await PublishTwoFiledDocumentsAsync(patient);
        var patch = new Parameters().AddReplacePatchParameter("DocumentReference.status", new Code("superseded"))
            .AddBooleanExtension("https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-deleted", true);

        var deleted = await Fhir.SendAsync(HttpMethod.Patch, $"fhir/DocumentReference/{documents[1]}", FhirHttp.JsonContent(patch), null);
        var submissionSetNow = (await Fhir.GetAsync($"fhir/List/{submissionSet.Id}")).Resource<List>();

        Assert.Multiple(() =>
        {
            Assert.That(deleted.Status, Is.EqualTo(HttpStatusCode.OK), deleted.ToString());
            Assert.That(Named(submissionSetNow), Does.Not.Contain(documents[1]).And.Contain(documents[0]));
        });
    }

    [Test]
    public async Task After_the_deletion_the_patient_reads_the_lists_without_the_deleted_document()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        var (documents, _, _) = await PublishTwoFiledDocumentsAsync(patient);

        await Fhir.DeleteAsync($"fhir/DocumentReference/{documents[0]}");
        var folder = await ListAsync(patient, "folder", asPatient);
        var named = await asPatient.GetAsync($"fhir/DocumentReference/{documents[0]}");

        Assert.Multiple(() =>
        {
            Assert.That(Named(folder), Is.EqualTo(new[] { documents[1] }));
            Assert.That(named.Status, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }
}
