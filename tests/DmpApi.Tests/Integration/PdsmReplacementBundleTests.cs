using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// PDSm replacement inside an ITI-65 Provide Document Bundle (ANS IG input/pagecontent/st_ajout.md; example
/// input/fsh/Examples/ExempleComprehensiveProvideDocumentBundleReplace.fsh): the new document replaces a stored one
/// (relatesTo replaces), a PATCH entry sets the old one superseded, the SubmissionSet names the new one; all or nothing.
/// </summary>
public sealed class PdsmReplacementBundleTests(TestStore store) : StoreFixture(store)
{
    /// <summary>
    /// ExempleComprehensiveProvideDocumentBundleReplace.fsh translated to JSON; the patient, the replaced document and the
    /// uniqueId are this test's. One correction: the example's attachment.hash is the SHA-1 of "hello", not of its data
    /// "Hello" (SGVsbG8=), which this server checks; the SHA-1 of "Hello" stands here.
    /// </summary>
    private static string ReplaceExample(string patientId, string oldDocumentId, string? patchedId = null, string status = "superseded") => $$"""
        {
          "resourceType": "Bundle",
          "meta": { "profile": [ "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-comprehensive-provide-document-bundle" ] },
          "type": "transaction",
          "entry": [
            {
              "fullUrl": "urn:uuid:33333333-3333-4333-8333-333333333333",
              "resource": { "resourceType": "Binary", "contentType": "application/pdf", "data": "SGVsbG8=" },
              "request": { "method": "POST", "url": "Binary" }
            },
            {
              "fullUrl": "urn:uuid:55555555-5555-4555-8555-555555555555",
              "resource": {
                "resourceType": "DocumentReference",
                "id": "doc-new",
                "meta": { "profile": [ "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-comprehensive-document-reference" ] },
                "contained": [
                  { "resourceType": "PractitionerRole", "id": "auteur", "identifier": [ { "system": "https://rpps.esante.gouv.fr", "value": "1011848351" } ] },
                  { "resourceType": "Organization", "id": "authentificateur", "identifier": [ { "system": "urn:oid:1.2.250.1.71.4.2.2", "value": "2264403106" } ],
                    "name": "HOPITAL INTERCOMMUNAL DE LA PRESQU'ILE G" }
                ],
                "masterIdentifier": { "system": "urn:ietf:rfc:3986", "value": "urn:uuid:{{Guid.NewGuid()}}" },
                "status": "current",
                "type": { "coding": [ { "system": "http://loinc.org", "code": "34133-9", "display": "Synthèse d'épisode de soins" } ] },
                "category": [ { "coding": [ { "system": "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument", "code": "10", "display": "Compte rendu" } ] } ],
                "subject": { "reference": "Patient/{{patientId}}" },
                "date": "2025-06-01T12:00:00+01:00",
                "author": [ { "reference": "#auteur" } ],
                "authenticator": { "reference": "#authentificateur" },
                "description": "Compte rendu de consultation - version de remplacement",
                "securityLabel": [ { "coding": [ { "system": "https://mos.esante.gouv.fr/NOS/TRE_A07-StatusVisibiliteDocument/FHIR/TRE-A07-StatusVisibiliteDocument", "code": "N", "display": "Normal" } ] } ],
                "content": [ {
                  "attachment": { "contentType": "application/pdf", "language": "fr-FR", "url": "urn:uuid:33333333-3333-4333-8333-333333333333", "size": 5,
                    "hash": "9/+ei3uy4Jtwk1pdeF4MxdnQq/A=", "title": "CR Consultation - Version remplaçante", "creation": "2025-06-01T10:00:00+01:00" },
                  "format": { "system": "https://mos.esante.gouv.fr/NOS/TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode", "code": "urn:ihe:iti:xds-sd:pdf:2008" }
                } ],
                "context": {
                  "period": { "start": "2025-06-01T08:00:00+01:00", "end": "2025-06-01T10:00:00+01:00" },
                  "facilityType": { "coding": [ { "system": "https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite", "code": "SA01" } ] },
                  "practiceSetting": { "coding": [ { "system": "https://mos.esante.gouv.fr/NOS/TRE_A01-CadreExercice/FHIR/TRE-A01-CadreExercice", "code": "ETABLISSEMENT" } ] },
                  "sourcePatientInfo": { "reference": "Patient/{{patientId}}" }
                },
                "relatesTo": [ { "code": "replaces", "target": { "reference": "DocumentReference/{{oldDocumentId}}" } } ]
              },
              "request": { "method": "POST", "url": "DocumentReference" }
            },
            {
              "fullUrl": "urn:uuid:77777777-7777-4777-8777-777777777777",
              "resource": {
                "resourceType": "Parameters",
                "meta": { "profile": [ "https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Patch.Parameters" ] },
                "parameter": [ { "name": "operation", "part": [
                  { "name": "path", "valueString": "DocumentReference.status" },
                  { "name": "type", "valueCode": "replace" },
                  { "name": "value", "valueCode": "{{status}}" }
                ] } ]
              },
              "request": { "method": "PATCH", "url": "DocumentReference/{{patchedId ?? oldDocumentId}}" }
            },
            {
              "fullUrl": "urn:uuid:66666666-6666-4666-8666-666666666666",
              "resource": {
                "resourceType": "List",
                "meta": { "profile": [ "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-submissionset-comprehensive" ] },
                "contained": [ { "resourceType": "PractitionerRole", "id": "source-auteur", "identifier": [ { "system": "https://rpps.esante.gouv.fr", "value": "1011848351" } ] } ],
                "extension": [
                  { "url": "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType",
                    "valueCodeableConcept": { "coding": [ { "system": "https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite", "code": "SA01" } ] } },
                  { "url": "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId", "valueIdentifier": { "system": "urn:oid:1.2.250.1.213.1.1.1", "value": "SRC-01" } }
                ],
                "status": "current",
                "mode": "working",
                "date": "2025-06-01T12:00:00+01:00",
                "code": { "coding": [ { "system": "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes", "code": "submissionset" } ] },
                "subject": { "reference": "Patient/{{patientId}}" },
                "source": { "reference": "#source-auteur" },
                "entry": [ { "item": { "reference": "urn:uuid:55555555-5555-4555-8555-555555555555" } } ]
              },
              "request": { "method": "POST", "url": "List" }
            }
          ]
        }
        """;

    private Task<FhirResponse> PublishAsync(string bundle) => Fhir.SendAsync(HttpMethod.Post, "fhir", FhirHttp.Body(bundle, FhirHttp.Json), null);

    private static string IdAt(Bundle response, string type) =>
        response.Entry.Where(e => e.Response!.Status == "201 Created").Select(e => e.Response!.Location!)
            .Single(l => l.StartsWith(type + "/", StringComparison.Ordinal)).Split('/')[1];

    [Test]
    public async Task The_replacement_example_supersedes_the_old_document_and_its_submission_set_names_the_new_one()
    {
        var patient = await CreatePatientAsync();
        var old = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var published = await PublishAsync(ReplaceExample(patient.Id!, old.Id!));
        var response = published.Resource<Bundle>();
        var newId = IdAt(response, "DocumentReference");
        var oldNow = (await Fhir.GetAsync($"fhir/DocumentReference/{old.Id}")).Resource<DocumentReference>();
        var replacement = (await Fhir.GetAsync($"fhir/DocumentReference/{newId}")).Resource<DocumentReference>();
        var submissionSet = (await Fhir.GetAsync($"fhir/List/{IdAt(response, "List")}")).Resource<List>();

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.OK), published.ToString());
            Assert.That(response.Entry.Select(e => e.Response!.Status), Is.EqualTo(new[] { "201 Created", "201 Created", "200 OK", "201 Created" }),
                "one answer per entry in request order: the PATCH entry is a change, not a creation");
            Assert.That(response.Entry[2].Response!.Location, Is.EqualTo($"DocumentReference/{old.Id}/_history/{oldNow.Meta!.VersionId}"));
            Assert.That(oldNow.Status, Is.EqualTo(DocumentReferenceStatus.Superseded));
            Assert.That(oldNow.Meta.VersionId, Is.EqualTo("2"), "superseded once, by the replacement; the PATCH asking the same wrote nothing more");
            Assert.That(replacement.Status, Is.EqualTo(DocumentReferenceStatus.Current));
            Assert.That(replacement.RelatesTo.Single().Target.Reference, Is.EqualTo($"DocumentReference/{old.Id}"));
            Assert.That(submissionSet.Entry.Select(e => e.Item.Reference), Is.EqualTo(new[] { $"DocumentReference/{newId}" }));
        });
    }

    [Test]
    public async Task A_replacement_without_the_patch_entry_still_supersedes_the_old_document()
    {
        var patient = await CreatePatientAsync();
        var old = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var bundle = DocumentBundleBuilder.For(patient).With(DocumentBuilder.For(patient).Replacing(old.Id!)).Build();

        var published = await Fhir.SendAsync(HttpMethod.Post, "fhir", FhirHttp.JsonContent(bundle), null);
        var oldNow = (await Fhir.GetAsync($"fhir/DocumentReference/{old.Id}")).Resource<DocumentReference>();

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.OK), published.ToString());
            Assert.That(oldNow.Status, Is.EqualTo(DocumentReferenceStatus.Superseded));
        });
    }

    [Test]
    public async Task A_patch_entry_on_another_document_changes_it_in_the_same_transaction()
    {
        var patient = await CreatePatientAsync();
        var old = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var other = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var published = await PublishAsync(ReplaceExample(patient.Id!, old.Id!, patchedId: other.Id));
        var otherNow = (await Fhir.GetAsync($"fhir/DocumentReference/{other.Id}")).Resource<DocumentReference>();

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.OK), published.ToString());
            Assert.That(otherNow.Status, Is.EqualTo(DocumentReferenceStatus.Superseded));
            Assert.That(published.Resource<Bundle>().Entry[2].Response!.Location, Is.EqualTo($"DocumentReference/{other.Id}/_history/2"));
        });
    }

    [Test]
    public async Task A_patch_entry_marking_a_document_entered_in_error_refuses_the_whole_bundle()
    {
        var patient = await CreatePatientAsync();
        var old = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var other = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var published = await PublishAsync(ReplaceExample(patient.Id!, old.Id!, patchedId: other.Id, status: "entered-in-error"));
        var otherNow = (await Fhir.GetAsync($"fhir/DocumentReference/{other.Id}")).Resource<DocumentReference>();
        var oldNow = (await Fhir.GetAsync($"fhir/DocumentReference/{old.Id}")).Resource<DocumentReference>();
        var lists = await Fhir.SearchBundleAsync("List", $"patient={patient.Id}&_summary=count");

        Assert.Multiple(() =>
        {
            // PDSm st_maj.md: entered-in-error is not a DocumentReference.status, in a Bundle as in a PATCH.
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), published.ToString());
            Assert.That(published.Diagnostics, Does.Contain("entered-in-error"));
            Assert.That(otherNow.Status, Is.EqualTo(DocumentReferenceStatus.Current));
            Assert.That(oldNow.Status, Is.EqualTo(DocumentReferenceStatus.Current), "the replacement was rolled back with the rest");
            Assert.That(lists.Total, Is.EqualTo(0), "no SubmissionSet");
        });
    }

    [Test]
    public async Task A_failing_patch_entry_rolls_back_the_whole_bundle()
    {
        var patient = await CreatePatientAsync();
        var old = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var published = await PublishAsync(ReplaceExample(patient.Id!, old.Id!, patchedId: "no-such-document"));
        var oldNow = (await Fhir.GetAsync($"fhir/DocumentReference/{old.Id}")).Resource<DocumentReference>();
        var documents = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_summary=count");
        var lists = await Fhir.SearchBundleAsync("List", $"patient={patient.Id}&_summary=count");

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.NotFound), published.ToString());
            Assert.That(oldNow.Status, Is.EqualTo(DocumentReferenceStatus.Current), "the replacement was rolled back with the rest");
            Assert.That(oldNow.Meta!.VersionId, Is.EqualTo("1"));
            Assert.That(documents.Total, Is.EqualTo(1), "only the old document");
            Assert.That(lists.Total, Is.EqualTo(0), "no SubmissionSet");
        });
    }

    [Test]
    public async Task A_patch_entry_of_an_element_fixed_at_the_deposit_is_refused_with_422_and_nothing_is_stored()
    {
        var patient = await CreatePatientAsync();
        var old = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var other = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var bundle = ReplaceExample(patient.Id!, old.Id!, patchedId: other.Id)
            .Replace("\"valueString\": \"DocumentReference.status\"", "\"valueString\": \"DocumentReference.date\"")
            .Replace("\"valueCode\": \"superseded\"", "\"valueDateTime\": \"2020-01-01T00:00:00Z\"");

        var published = await PublishAsync(bundle);
        var documents = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_summary=count");

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), published.ToString());
            Assert.That(published.Diagnostics, Does.Contain("Only status, securityLabel"));
            Assert.That(documents.Total, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task A_patch_entry_on_the_replaced_document_asking_more_than_superseded_is_refused_with_422()
    {
        var patient = await CreatePatientAsync();
        var old = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var published = await PublishAsync(ReplaceExample(patient.Id!, old.Id!, status: "current"));
        var oldNow = (await Fhir.GetAsync($"fhir/DocumentReference/{old.Id}")).Resource<DocumentReference>();

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), published.ToString());
            Assert.That(published.Diagnostics, Does.Contain("replaces"));
            Assert.That(oldNow.Status, Is.EqualTo(DocumentReferenceStatus.Current));
        });
    }

    [Test]
    public async Task Another_professional_cannot_patch_a_document_through_a_bundle()
    {
        var nurse = "810006200001";
        var (patient, _, _) = await RecordPermittingAsync(nurse);
        var theirs = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var old = await Fhir.As(Tokens.Professional(nurse, profession: "60")).CreatedAsync(DocumentBuilder.For(patient).Build());

        var published = await Fhir.As(Tokens.Professional(nurse, profession: "60"))
            .SendAsync(HttpMethod.Post, "fhir", FhirHttp.Body(ReplaceExample(patient.Id!, old.Id!, patchedId: theirs.Id), FhirHttp.Json), null);
        var theirsNow = (await Fhir.GetAsync($"fhir/DocumentReference/{theirs.Id}")).Resource<DocumentReference>();
        var oldNow = (await Fhir.GetAsync($"fhir/DocumentReference/{old.Id}")).Resource<DocumentReference>();

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.AnyOf(HttpStatusCode.Forbidden, HttpStatusCode.NotFound), published.ToString());
            Assert.That(theirsNow.Status, Is.EqualTo(DocumentReferenceStatus.Current));
            Assert.That(oldNow.Status, Is.EqualTo(DocumentReferenceStatus.Current), "the nurse's own replacement was rolled back too");
        });
    }
}
