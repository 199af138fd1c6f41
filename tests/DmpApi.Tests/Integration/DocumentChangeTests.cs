using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// What changes in a deposited document, and who changes it (DMP-RULES §3, PDSm): JSON Patch on status, securityLabel and
/// the archive flag; the patient masks; only the author replaces, archives or deletes; the earlier author feeds.
/// </summary>
public sealed class DocumentChangeTests(TestStore store) : StoreFixture(store)
{
    private const string OtherDoctor = "810004444444";
    private const string Pharmacist = "810003333333";
    private const string ArchiveFlag = "http://esante.gouv.fr/cisis/fhir/StructureDefinition/PDSm_isArchived";

    private async Task<(Patient Patient, FhirHttp AsPatient, DocumentReference Document)> RecordWithDocumentAsync(params string[] permitted)
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(permitted);
        return (patient, asPatient, await CreateDocumentAsync(DocumentBuilder.For(patient)));
    }

    [Test]
    public async Task Patient_masks_a_document_with_JSON_Patch_and_a_permitted_professional_no_longer_sees_it()
    {
        var (patient, asPatient, document) = await RecordWithDocumentAsync(OtherDoctor);

        var patched = await asPatient.PatchAsync($"fhir/DocumentReference/{document.Id}", JsonPatches.Mask);
        var other = Fhir.As(Tokens.Professional(OtherDoctor));
        var read = await other.GetAsync($"fhir/DocumentReference/{document.Id}");
        var search = await other.SearchBundleAsync("DocumentReference", $"patient={patient.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.OK), patched.ToString());
            Assert.That(patched.Resource<DocumentReference>().Meta!.VersionId, Is.EqualTo("2"));
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.NotFound), read.ToString());
            Assert.That(search.MatchIds(), Is.Empty);
        });
    }

    [Test]
    public async Task Patient_unmasks_a_document_and_the_permitted_professional_sees_it_again()
    {
        var (_, asPatient, document) = await RecordWithDocumentAsync(OtherDoctor);
        await asPatient.PatchAsync($"fhir/DocumentReference/{document.Id}", JsonPatches.Mask);

        var unmasked = await asPatient.PatchAsync($"fhir/DocumentReference/{document.Id}", JsonPatches.RemoveFirstLabel);
        var read = await Fhir.As(Tokens.Professional(OtherDoctor)).GetAsync($"fhir/DocumentReference/{document.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(unmasked.Status, Is.EqualTo(HttpStatusCode.OK), unmasked.ToString());
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK), read.ToString());
        });
    }

    [Test]
    public async Task Patient_cannot_change_the_status_of_a_professionals_document()
    {
        var (_, asPatient, document) = await RecordWithDocumentAsync();

        var patched = await asPatient.PatchAsync($"fhir/DocumentReference/{document.Id}", """[{"op":"replace","path":"/status","value":"superseded"}]""");
        var after = await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.Forbidden), patched.ToString());
            Assert.That(patched.Diagnostics, Does.Contain("MASQUE_PS"));
            Assert.That(after.Resource<DocumentReference>().Meta!.VersionId, Is.EqualTo(document.Meta!.VersionId));
        });
    }

    [Test]
    public async Task Author_archives_a_document_with_JSON_Patch_and_it_is_found_by_isArchived()
    {
        var (patient, _, document) = await RecordWithDocumentAsync();

        var patched = await Fhir.PatchAsync($"fhir/DocumentReference/{document.Id}",
            $$$"""[{"op":"add","path":"/extension","value":[{"url":"{{{ArchiveFlag}}}","valueBoolean":true}]}]""");
        var archived = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&isArchived=true");

        Assert.Multiple(() =>
        {
            Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.OK), patched.ToString());
            Assert.That(archived.MatchIds(), Is.EqualTo(new[] { document.Id }));
        });
    }

    [Test]
    public async Task Author_marks_a_document_superseded_and_it_is_no_longer_found_as_current()
    {
        var (patient, _, document) = await RecordWithDocumentAsync();

        var patched = await Fhir.PatchAsync($"fhir/DocumentReference/{document.Id}",
            """[{"op":"test","path":"/status","value":"current"},{"op":"replace","path":"/status","value":"superseded"}]""");
        var current = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&status=current");

        Assert.Multiple(() =>
        {
            Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.OK), patched.ToString());
            Assert.That(patched.Resource<DocumentReference>().Status, Is.EqualTo(DocumentReferenceStatus.Superseded));
            Assert.That(current.MatchIds(), Is.Empty);
        });
    }

    [Test]
    public async Task A_document_cannot_be_marked_entered_in_error()
    {
        var (patient, _, document) = await RecordWithDocumentAsync();

        // PDSm st_maj.md: entered-in-error is not a DocumentReference.status; a withdrawal is the logical deletion.
        var created = await Fhir.CreateAsync(DocumentBuilder.For(patient).Status(DocumentReferenceStatus.EnteredInError).Build());
        var patched = await Fhir.PatchAsync($"fhir/DocumentReference/{document.Id}", """[{"op":"replace","path":"/status","value":"entered-in-error"}]""");
        var after = await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(created.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), created.ToString());
            Assert.That(created.Diagnostics, Does.Contain("entered-in-error").And.Contain("logical deletion"));
            Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), patched.ToString());
            Assert.That(patched.Diagnostics, Does.Contain("entered-in-error").And.Contain("logical deletion"));
            Assert.That(after.Resource<DocumentReference>().Meta!.VersionId, Is.EqualTo(document.Meta!.VersionId));
        });
    }

    [Test]
    public async Task A_permitted_professional_who_is_not_the_author_cannot_patch_a_document()
    {
        var (_, _, document) = await RecordWithDocumentAsync(OtherDoctor);

        var patched = await Fhir.As(Tokens.Professional(OtherDoctor))
            .PatchAsync($"fhir/DocumentReference/{document.Id}", """[{"op":"replace","path":"/status","value":"superseded"}]""");

        Assert.Multiple(() =>
        {
            Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.Forbidden), patched.ToString());
            Assert.That(patched.Diagnostics, Does.Contain("deposited"));
        });
    }

    [Test]
    public async Task A_patch_that_changes_anything_but_status_labels_and_archive_flag_is_refused_with_405()
    {
        var (_, _, document) = await RecordWithDocumentAsync();

        var patched = await Fhir.PatchAsync($"fhir/DocumentReference/{document.Id}",
            """[{"op":"replace","path":"/type/coding/0/code","value":"34112-3"}]""");
        var after = await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}");

        Assert.Multiple(() =>
        {
            // PDSm st_maj.md, flux 04: 405 Method Not Allowed.
            Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.MethodNotAllowed), patched.ToString());
            Assert.That(patched.Diagnostics, Does.Contain("replacement"));
            Assert.That(after.Resource<DocumentReference>().Type!.Coding[0].Code, Is.EqualTo(document.Type!.Coding[0].Code));
        });
    }

    [Test]
    public async Task A_failed_test_operation_answers_422_and_changes_nothing()
    {
        var (_, _, document) = await RecordWithDocumentAsync();

        var patched = await Fhir.PatchAsync($"fhir/DocumentReference/{document.Id}",
            """[{"op":"test","path":"/status","value":"superseded"},{"op":"replace","path":"/status","value":"superseded"}]""");
        var after = await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), patched.ToString());
            Assert.That(after.Resource<DocumentReference>().Meta!.VersionId, Is.EqualTo(document.Meta!.VersionId));
        });
    }

    [Test]
    public async Task A_patch_needs_the_JSON_Patch_or_a_FHIR_media_type()
    {
        var (_, _, document) = await RecordWithDocumentAsync();

        // application/fhir+json carries a FHIRPath Patch (PDSm); plain application/json is neither.
        var patched = await Fhir.SendAsync(HttpMethod.Patch, $"fhir/DocumentReference/{document.Id}",
            FhirHttp.Body("""[{"op":"replace","path":"/status","value":"superseded"}]""", "application/json"), null);

        Assert.Multiple(() =>
        {
            Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.UnsupportedMediaType), patched.ToString());
            Assert.That(patched.Diagnostics, Does.Contain("application/json-patch+json"));
        });
    }

    [Test]
    public async Task A_patch_that_is_not_a_list_of_operations_answers_400()
    {
        var (_, _, document) = await RecordWithDocumentAsync();

        var patched = await Fhir.PatchAsync($"fhir/DocumentReference/{document.Id}", """{"op":"replace"}""");

        Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.BadRequest), patched.ToString());
    }

    [Test]
    public async Task A_patch_with_a_stale_If_Match_answers_412()
    {
        var (_, asPatient, document) = await RecordWithDocumentAsync();
        await asPatient.PatchAsync($"fhir/DocumentReference/{document.Id}", JsonPatches.Mask);

        var patched = await Fhir.PatchAsync($"fhir/DocumentReference/{document.Id}", """[{"op":"replace","path":"/status","value":"superseded"}]""",
            r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"1\""));

        Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.PreconditionFailed), patched.ToString());
    }

    [Test]
    public async Task A_patch_of_a_document_hidden_from_the_requester_answers_404()
    {
        var (_, asPatient, document) = await RecordWithDocumentAsync(OtherDoctor);
        await asPatient.PatchAsync($"fhir/DocumentReference/{document.Id}", JsonPatches.Mask);

        var patched = await Fhir.As(Tokens.Professional(OtherDoctor))
            .PatchAsync($"fhir/DocumentReference/{document.Id}", JsonPatches.RemoveFirstLabel);

        Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.NotFound), patched.ToString());
    }

    [Test]
    public async Task An_update_by_PUT_that_changes_the_content_is_refused_with_422()
    {
        var (_, _, document) = await RecordWithDocumentAsync();
        document.Description = "rewritten after the deposit";

        var updated = await Fhir.UpdateAsync(document);

        Assert.Multiple(() =>
        {
            Assert.That(updated.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), updated.ToString());
            Assert.That(updated.Diagnostics, Does.Contain("relatesTo"));
        });
    }

    [Test]
    public async Task Patient_cannot_delete_a_professionals_document()
    {
        var (_, asPatient, document) = await RecordWithDocumentAsync();

        var deleted = await asPatient.DeleteAsync($"fhir/DocumentReference/{document.Id}");
        var after = await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(deleted.Status, Is.EqualTo(HttpStatusCode.Forbidden), deleted.ToString());
            Assert.That(after.Status, Is.EqualTo(HttpStatusCode.OK), after.ToString());
        });
    }

    [Test]
    public async Task Author_replaces_a_document_and_the_old_one_becomes_superseded()
    {
        var (patient, _, old) = await RecordWithDocumentAsync();

        var replacement = await Fhir.CreateAsync(DocumentBuilder.For(patient).Replacing(old.Id!).Build());
        var before = await Fhir.GetAsync($"fhir/DocumentReference/{old.Id}");
        var current = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&status=current");
        var related = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&relatesto=DocumentReference/{old.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(replacement.Status, Is.EqualTo(HttpStatusCode.Created), replacement.ToString());
            Assert.That(before.Resource<DocumentReference>().Status, Is.EqualTo(DocumentReferenceStatus.Superseded));
            Assert.That(current.MatchIds(), Is.EqualTo(new[] { replacement.Resource<DocumentReference>().Id }));
            Assert.That(related.MatchIds(), Is.EqualTo(new[] { replacement.Resource<DocumentReference>().Id }));
        });
    }

    [Test]
    public async Task Only_the_author_may_replace_a_document_and_a_refused_replacement_stores_nothing()
    {
        var (patient, _, old) = await RecordWithDocumentAsync(OtherDoctor);

        var replacement = await Fhir.As(Tokens.Professional(OtherDoctor)).CreateAsync(DocumentBuilder.For(patient).Replacing(old.Id!).Build());
        var all = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(replacement.Status, Is.EqualTo(HttpStatusCode.Forbidden), replacement.ToString());
            Assert.That(all.MatchIds(), Is.EqualTo(new[] { old.Id }));
            Assert.That(all.Entry.Single().Resource, Is.InstanceOf<DocumentReference>().With.Property("Status").EqualTo(DocumentReferenceStatus.Current));
        });
    }

    [Test]
    public async Task A_document_already_replaced_cannot_be_replaced_again()
    {
        var (patient, _, old) = await RecordWithDocumentAsync();
        await Fhir.CreatedAsync(DocumentBuilder.For(patient).Replacing(old.Id!).Build());

        var second = await Fhir.CreateAsync(DocumentBuilder.For(patient).Replacing(old.Id!).Build());

        Assert.Multiple(() =>
        {
            Assert.That(second.Status, Is.EqualTo(HttpStatusCode.Conflict), second.ToString());
            Assert.That(second.Diagnostics, Does.Contain("already been replaced"));
        });
    }

    [Test]
    public async Task A_replacement_must_replace_a_document_of_the_same_record()
    {
        var (_, _, elsewhere) = await RecordWithDocumentAsync();
        var patient = await CreatePatientAsync();

        var replacement = await Fhir.CreateAsync(DocumentBuilder.For(patient).Replacing(elsewhere.Id!).Build());
        var untouched = await Fhir.GetAsync($"fhir/DocumentReference/{elsewhere.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(replacement.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), replacement.ToString());
            Assert.That(untouched.Resource<DocumentReference>().Status, Is.EqualTo(DocumentReferenceStatus.Current));
        });
    }

    [Test]
    public async Task Author_of_an_earlier_document_adds_one_without_a_permit_but_cannot_read_the_record()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        var permit = await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(Pharmacist).Build());
        var pharmacist = Fhir.As(Tokens.Professional(Pharmacist, profession: "21"));
        await pharmacist.CreatedAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "60593-1").Build());
        permit.Status = Consent.ConsentState.Inactive;
        Assert.That((await asPatient.UpdateAsync(permit)).Status, Is.EqualTo(HttpStatusCode.OK), "arrange: the patient revokes the permit");

        var added = await pharmacist.CreateAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "60593-1").Build());
        var search = await pharmacist.SearchAsync("DocumentReference", $"patient={patient.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(added.Status, Is.EqualTo(HttpStatusCode.Created), added.ToString());
            Assert.That(search.Status, Is.EqualTo(HttpStatusCode.Forbidden), search.ToString());
        });
    }

    [Test]
    public async Task A_professional_with_no_permit_and_no_earlier_document_cannot_add_one()
    {
        var patient = await CreatePatientAsync();

        var added = await Fhir.As(Tokens.Professional(Pharmacist, profession: "21")).CreateAsync(DocumentBuilder.For(patient).Build());

        Assert.That(added.Status, Is.EqualTo(HttpStatusCode.Forbidden), added.ToString());
    }

    [Test]
    public async Task A_blocked_earlier_author_cannot_add_a_document()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(Pharmacist).Build());
        var pharmacist = Fhir.As(Tokens.Professional(Pharmacist, profession: "21"));
        await pharmacist.CreatedAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "60593-1").Build());
        await asPatient.CreatedAsync(ConsentBuilder.For(patient).Blocking(Pharmacist).Build());

        var added = await pharmacist.CreateAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "60593-1").Build());

        Assert.Multiple(() =>
        {
            Assert.That(added.Status, Is.EqualTo(HttpStatusCode.Forbidden), added.ToString());
            Assert.That(added.Diagnostics, Does.Contain("blocked"));
        });
    }
}
