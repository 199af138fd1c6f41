using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace DmpApi.Tests.Integration;

/// <summary>
/// PDSm logical deletion (ANS IG input/pagecontent/st_maj.md, "Suppression logique d'une fiche"), the meaning of DELETE on a
/// DocumentReference: the document is kept, marked deleted, with the documents it replaced; nobody reads any of their
/// versions or content any more (404); the traces stay.
/// </summary>
public sealed class DocumentDeletionTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task A_deleted_document_answers_404_to_everyone_in_every_version_and_its_content_too()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));

        var deleted = await Fhir.DeleteAsync($"fhir/DocumentReference/{document.Id}");
        var answers = new[]
        {
            await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}"),
            await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}/_history/1"),
            await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}/_history"),
            await Fhir.GetAsync(document.Content.Single().Attachment.Url!),
            await asPatient.GetAsync($"fhir/DocumentReference/{document.Id}"),
        };
        var found = await asPatient.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_total=accurate");
        var traces = await asPatient.SearchBundleAsync("AuditEvent", $"patient={patient.Id}&_count=100");

        Assert.Multiple(() =>
        {
            Assert.That(deleted.Status, Is.EqualTo(HttpStatusCode.NoContent), deleted.ToString());
            Assert.That(answers.Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.NotFound));
            Assert.That(found.Total, Is.EqualTo(0));
            Assert.That(traces.Entry.Select(e => e.Resource).OfType<AuditEvent>().Count(t => t.Action == AuditEvent.AuditEventAction.D), Is.EqualTo(1),
                "the deletion is traced");
        });
    }

    [Test]
    public async Task Deleting_a_replacement_deletes_the_documents_it_replaced()
    {
        var patient = await CreatePatientAsync();
        var first = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var second = await CreateDocumentAsync(DocumentBuilder.For(patient).Replacing(first.Id!));
        var third = await CreateDocumentAsync(DocumentBuilder.For(patient).Replacing(second.Id!));
        var readableBefore = await Fhir.GetAsync($"fhir/DocumentReference/{first.Id}");

        await Fhir.DeleteAsync($"fhir/DocumentReference/{third.Id}");

        Assert.Multiple(async () =>
        {
            Assert.That(readableBefore.Status, Is.EqualTo(HttpStatusCode.OK), "a replaced document is readable until the deletion");
            Assert.That((await Fhir.GetAsync($"fhir/DocumentReference/{second.Id}")).Status, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That((await Fhir.GetAsync($"fhir/DocumentReference/{first.Id}")).Status, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task A_FHIRPath_Patch_setting_isDeleted_and_superseded_is_the_same_deletion()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var patch = new Parameters().AddReplacePatchParameter("DocumentReference.status", new Code("superseded"))
            .AddBooleanExtension("https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-deleted", true);
        var withoutStatus = new Parameters { Parameter = [(Parameters.ParameterComponent)patch.Parameter[1].DeepCopy()] };

        var refused = await Fhir.SendAsync(HttpMethod.Patch, $"fhir/DocumentReference/{document.Id}", FhirHttp.JsonContent(withoutStatus), null);
        var patched = await Fhir.SendAsync(HttpMethod.Patch, $"fhir/DocumentReference/{document.Id}", FhirHttp.JsonContent(patch), null);
        var read = await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), "PDSm: isDeleted goes with status superseded");
            Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.OK), patched.ToString());
            Assert.That(patched.Resource<DocumentReference>().Status, Is.EqualTo(DocumentReferenceStatus.Superseded));
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task A_deletion_with_a_stale_If_Match_answers_412_and_deletes_nothing()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var archived = await Fhir.PatchAsync($"fhir/DocumentReference/{document.Id}",
            """[{"op":"add","path":"/extension","value":[{"url":"http://esante.gouv.fr/cisis/fhir/StructureDefinition/PDSm_isArchived","valueBoolean":true}]}]""");

        // PDSm st_maj.md, flux 04: an If-Match that is not the current version answers 412.
        var stale = await Fhir.SendAsync(HttpMethod.Delete, $"fhir/DocumentReference/{document.Id}", null, r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"1\""));
        var readAfterStale = await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}");
        var current = await Fhir.SendAsync(HttpMethod.Delete, $"fhir/DocumentReference/{document.Id}", null, r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"2\""));

        Assert.Multiple(() =>
        {
            Assert.That(archived.Status, Is.EqualTo(HttpStatusCode.OK), archived.ToString());
            Assert.That(stale.Status, Is.EqualTo(HttpStatusCode.PreconditionFailed), stale.ToString());
            Assert.That(readAfterStale.Status, Is.EqualTo(HttpStatusCode.OK), "nothing was deleted");
            Assert.That(current.Status, Is.EqualTo(HttpStatusCode.NoContent), current.ToString());
        });
    }
}
