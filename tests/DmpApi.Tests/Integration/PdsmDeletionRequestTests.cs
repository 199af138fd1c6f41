using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace DmpApi.Tests.Integration;

/// <summary>
/// What PDSm asks of a logical deletion request (ANS IG input/pagecontent/st_maj.md, "Suppression logique d'une fiche" and
/// flux 04): it names the current version (If-Match: 412 otherwise) of a document that is current (422 for a superseded one).
/// </summary>
public sealed class PdsmDeletionRequestTests(TestStore store) : StoreFixture(store)
{
    private static Parameters Deletion() => new Parameters().AddReplacePatchParameter("DocumentReference.status", new Code("superseded"))
        .AddBooleanExtension("https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-deleted", true);

    private Task<FhirResponse> DeleteByPatchAsync(string id, string? ifMatch = null) =>
        Fhir.SendAsync(HttpMethod.Patch, $"fhir/DocumentReference/{id}", FhirHttp.JsonContent(Deletion()),
            ifMatch is null ? null : r => r.Headers.TryAddWithoutValidation("If-Match", ifMatch));

    [Test]
    public async Task A_deletion_of_a_version_that_moved_on_answers_412_and_deletes_nothing()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
        await Fhir.SendAsync(HttpMethod.Patch, $"fhir/DocumentReference/{document.Id}",
            FhirHttp.JsonContent(new Parameters().AddReplacePatchParameter("DocumentReference.status", new Code("current"))), null);

        var stale = await DeleteByPatchAsync(document.Id!, "W/\"1\"");
        var read = await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}");
        var current = await DeleteByPatchAsync(document.Id!, "W/\"2\"");

        Assert.Multiple(() =>
        {
            Assert.That(stale.Status, Is.EqualTo(HttpStatusCode.PreconditionFailed), stale.ToString());
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK), "still there");
            Assert.That(current.Status, Is.EqualTo(HttpStatusCode.OK), current.ToString());
        });
    }

    [Test]
    public async Task A_superseded_document_is_not_deleted_directly()
    {
        var patient = await CreatePatientAsync();
        var old = await CreateDocumentAsync(DocumentBuilder.For(patient));
        await CreateDocumentAsync(DocumentBuilder.For(patient).Replacing(old.Id!));

        var refused = await DeleteByPatchAsync(old.Id!);
        var read = await Fhir.GetAsync($"fhir/DocumentReference/{old.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), refused.ToString());
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK));
        });
    }
}
