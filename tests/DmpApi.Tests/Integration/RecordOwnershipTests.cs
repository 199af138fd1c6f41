using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// DMP-RULES §3, issue 11: the record belongs to its holder and its Consents to the patient. Each finding of the issue
/// is one test here; the default client is a médecin with a permit (he opened the record).
/// </summary>
public sealed class RecordOwnershipTests(TestStore store) : StoreFixture(store)
{
    private const string OtherDoctor = "810009990001";
    private const string PharmacistId = "820009990021";
    private const string IdNatPsSystem = "urn:oid:1.2.250.1.71.4.2.1";

    private static string Pharmacist => Tokens.Professional(PharmacistId, "21");

    // Finding 1
    [Test]
    public async Task Professional_cannot_delete_the_patients_opposition_to_bris_de_glace()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();
        var opposition = await asPatient.CreatedAsync(ConsentBuilder.For(patient).OpposingPurpose("BTG").Build());

        var response = await Fhir.DeleteAsync($"fhir/Consent/{opposition.Id}");
        var emergency = await Fhir.As(Tokens.ProfessionalFor("BTG", OtherDoctor)).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("patient"));
        Assert.That(emergency.Status, Is.EqualTo(HttpStatusCode.Forbidden), emergency.ToString());
    }

    // Finding 2
    [Test]
    public async Task Professional_cannot_revoke_another_professionals_permit()
    {
        var (patient, _, _) = await RecordPermittingAsync(OtherDoctor);
        var permit = await FindConsentAsync(patient, OtherDoctor, asPatient: true);
        permit.Status = Consent.ConsentState.Inactive;

        var revoke = await Fhir.UpdateAsync(permit);
        var delete = await Fhir.DeleteAsync($"fhir/Consent/{permit.Id}");

        Assert.That(revoke.Status, Is.EqualTo(HttpStatusCode.Forbidden), revoke.ToString());
        Assert.That(delete.Status, Is.EqualTo(HttpStatusCode.Forbidden), delete.ToString());
    }

    [Test]
    public async Task Professional_revokes_their_own_permit()
    {
        var patient = await CreatePatientAsync();
        var permit = await FindConsentAsync(patient, Tokens.DoctorIdNatPs, asPatient: false);
        permit.Status = Consent.ConsentState.Inactive;

        var response = await Fhir.UpdateAsync(permit);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
    }

    [Test]
    public async Task Patient_deletes_any_consent_of_their_record()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();
        var permit = await FindConsentAsync(patient, Tokens.DoctorIdNatPs, asPatient: true);

        var response = await asPatient.DeleteAsync($"fhir/Consent/{permit.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NoContent), response.ToString());
    }

    [Test]
    public async Task Professional_cannot_record_a_permit_for_someone_else()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.CreateAsync(ConsentBuilder.For(patient).Permitting(OtherDoctor).Build());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
    }

    // Finding 3
    [Test]
    public async Task Professional_cannot_close_the_record()
    {
        var patient = await CreatePatientAsync();
        patient.Active = false;

        var response = await Fhir.UpdateAsync(patient);
        var read = await Fhir.GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK), read.ToString());
    }

    [Test]
    public async Task Professional_cannot_change_the_patients_identity()
    {
        var patient = await CreatePatientAsync();
        patient.BirthDate = "1981-01-01";

        var response = await Fhir.UpdateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("birthDate"));
    }

    [Test]
    public async Task Professional_changes_a_non_identity_element()
    {
        var patient = await CreatePatientAsync();
        patient.Telecom.Add(new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, "0102030405"));

        var response = await Fhir.UpdateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
    }

    // Finding 4
    [Test]
    public async Task Pharmacist_cannot_declare_themselves_medecin_traitant()
    {
        var (patient, _, _) = await RecordPermittingAsync(PharmacistId);
        patient.GeneralPractitioner.Add(Practitioner(PharmacistId));

        var response = await Fhir.As(Pharmacist).UpdateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
    }

    [Test]
    public async Task Doctor_declares_themselves_medecin_traitant()
    {
        var patient = await CreatePatientAsync();
        patient.GeneralPractitioner.Add(Practitioner(Tokens.DoctorIdNatPs));

        var response = await Fhir.UpdateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
    }

    [Test]
    public async Task Doctor_cannot_remove_the_patients_medecin_traitant()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        patient.GeneralPractitioner.Add(Practitioner(OtherDoctor));
        patient = (await asPatient.UpdateAsync(patient)).Resource<Patient>();
        patient.GeneralPractitioner.Clear();

        var response = await Fhir.UpdateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
    }

    [Test]
    public async Task Doctor_cannot_declare_another_doctor_medecin_traitant()
    {
        var patient = await CreatePatientAsync();
        patient.GeneralPractitioner.Add(Practitioner(OtherDoctor));

        var response = await Fhir.UpdateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
    }

    // Finding 5
    [Test]
    public async Task Professional_sees_only_the_consents_that_concern_them()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(OtherDoctor);
        var block = await asPatient.CreatedAsync(ConsentBuilder.For(patient).Blocking("810009990002").Build());
        var opposition = await asPatient.CreatedAsync(ConsentBuilder.For(patient).OpposingPurpose("BTG").Build());
        var own = await FindConsentAsync(patient, Tokens.DoctorIdNatPs, asPatient: true);
        var others = await FindConsentAsync(patient, OtherDoctor, asPatient: true);

        var seen = (await Fhir.SearchBundleAsync("Consent", $"patient={patient.Id}")).MatchIds();
        var all = (await asPatient.SearchBundleAsync("Consent", $"patient={patient.Id}")).MatchIds();
        var read = await Fhir.GetAsync($"fhir/Consent/{others.Id}");
        var vread = await Fhir.GetAsync($"fhir/Consent/{block.Id}/_history/1");
        var history = await Fhir.GetAsync($"fhir/Consent/{others.Id}/_history");

        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.EquivalentTo(new[] { own.Id, opposition.Id }));
            Assert.That(all, Is.EquivalentTo(new[] { own.Id, others.Id, block.Id, opposition.Id }));
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.NotFound), read.ToString());
            Assert.That(vread.Status, Is.EqualTo(HttpStatusCode.NotFound), vread.ToString());
            Assert.That(history.Status, Is.EqualTo(HttpStatusCode.NotFound), history.ToString());
        });
    }

    // Finding 6
    [Test]
    public async Task Patient_closes_and_reopens_their_record()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        patient.Active = false;
        patient.Extension.Add(new Extension(ClosureReasonUrl, new FhirString("Je quitte la France")));

        var closed = await asPatient.UpdateAsync(patient);
        var professionalRead = await Fhir.GetAsync($"fhir/Patient/{patient.Id}");
        var closedPatient = closed.Resource<Patient>();
        closedPatient.Active = true;
        var reopened = await asPatient.UpdateAsync(closedPatient);

        Assert.Multiple(() =>
        {
            Assert.That(closed.Status, Is.EqualTo(HttpStatusCode.OK), closed.ToString());
            Assert.That(closedPatient.Extension.Select(e => e.Url), Does.Contain(ClosedOnUrl));
            Assert.That(closedPatient.GetStringExtension(ClosureReasonUrl), Is.EqualTo("Je quitte la France"));
            Assert.That(professionalRead.Status, Is.EqualTo(HttpStatusCode.Forbidden), professionalRead.ToString());
            Assert.That(reopened.Status, Is.EqualTo(HttpStatusCode.OK), reopened.ToString());
            Assert.That(reopened.Resource<Patient>().Extension, Is.Empty, "a reopening clears the closure");
        });
    }

    [Test]
    public async Task Nobody_deletes_a_record()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);

        var byDoctor = await Fhir.DeleteAsync($"fhir/Patient/{patient.Id}");
        var byPatient = await Fhir.As(Tokens.Patient(builder.Ins!)).DeleteAsync($"fhir/Patient/{patient.Id}");

        Assert.That(byDoctor.Status, Is.EqualTo(HttpStatusCode.MethodNotAllowed), byDoctor.ToString());
        Assert.That(byPatient.Status, Is.EqualTo(HttpStatusCode.MethodNotAllowed), byPatient.ToString());
        Assert.That(byPatient.Diagnostics, Does.Contain("close the record instead"));
    }

    // Finding 7
    [Test]
    public async Task A_document_masked_after_deposit_is_hidden_in_its_older_versions()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(OtherDoctor);
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var masked = await asPatient.PatchAsync($"fhir/DocumentReference/{document.Id}", JsonPatches.Mask);
        var other = Fhir.As(Tokens.Professional(OtherDoctor));

        var vread = await other.GetAsync($"fhir/DocumentReference/{document.Id}/_history/1");
        var history = await other.GetAsync($"fhir/DocumentReference/{document.Id}/_history");

        Assert.That(masked.Status, Is.EqualTo(HttpStatusCode.OK), masked.ToString());
        Assert.That(vread.Status, Is.EqualTo(HttpStatusCode.NotFound), vread.ToString());
        Assert.That(history.Status, Is.EqualTo(HttpStatusCode.NotFound), history.ToString());
    }

    [Test]
    public async Task Author_sees_their_own_deposit_whatever_the_matrix_says()
    {
        var (patient, _, _) = await RecordPermittingAsync(PharmacistId);
        var asPharmacist = Fhir.As(Pharmacist);
        var directives = await asPharmacist.CreatedAsync(DocumentBuilder.For(patient).Type(Systems.TypesA05, "EXPPAT_3").Build());

        var read = await asPharmacist.GetAsync($"fhir/DocumentReference/{directives.Id}");
        var found = (await asPharmacist.SearchBundleAsync("DocumentReference", $"patient={patient.Id}")).MatchIds();

        Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK), read.ToString());
        Assert.That(found, Does.Contain(directives.Id));
    }

    [Test]
    public async Task Only_the_recorder_or_the_patient_changes_an_allergy()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(OtherDoctor);
        var allergy = await Fhir.CreatedAsync(AllergyBuilder.For(patient).Build());
        var other = Fhir.As(Tokens.Professional(OtherDoctor));

        var byOther = await other.DeleteAsync($"fhir/AllergyIntolerance/{allergy.Id}");
        var byPatient = await asPatient.UpdateAsync(allergy);

        Assert.Multiple(() =>
        {
            Assert.That(allergy.Recorder?.Identifier?.Value, Is.EqualTo(Tokens.DoctorIdNatPs), "the recorder comes from the token");
            Assert.That(byOther.Status, Is.EqualTo(HttpStatusCode.Forbidden), byOther.ToString());
            Assert.That(byPatient.Status, Is.EqualTo(HttpStatusCode.OK), byPatient.ToString());
        });
    }

    [Test]
    public async Task A_consent_the_server_cannot_interpret_answers_422()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();
        var consent = ConsentBuilder.For(patient).Permitting(OtherDoctor).Build();
        consent.Provision!.Purpose.Clear();

        var response = await asPatient.CreateAsync(consent);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
    }

    [Test]
    public async Task A_document_without_type_answers_422()
    {
        var patient = await CreatePatientAsync();
        var document = DocumentBuilder.For(patient).Build();
        document.Type = null;

        var response = await Fhir.CreateAsync(document);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
    }

    private const string ClosedOnUrl = "http://localhost/fhir/StructureDefinition/dmp-record-closed-on";
    private const string ClosureReasonUrl = "http://localhost/fhir/StructureDefinition/dmp-record-closure-reason";

    private static ResourceReference Practitioner(string idNatPs) =>
        new() { Type = "Practitioner", Identifier = new Identifier(IdNatPsSystem, idNatPs) };

    private async Task<Consent> FindConsentAsync(Patient patient, string idNatPs, bool asPatient)
    {
        var client = asPatient ? Fhir.As(Tokens.Patient(patient.Identifier[0].Value!)) : Fhir;
        var bundle = await client.SearchBundleAsync("Consent", $"patient={patient.Id}");
        return bundle.Entry.Select(e => e.Resource).OfType<Consent>()
            .Single(c => c.Provision?.Type == Consent.ConsentProvisionType.Permit && c.Provision.Actor.Any(a => a.Reference?.Identifier?.Value == idNatPs));
    }
}
