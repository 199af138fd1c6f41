using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// Who may read a record (DMP-RULES §2 rules 1–4 and 8), end to end through the API: the record-level decision taken
/// from the stored Patient and Consents on every request. The test doctor opens each record and so holds a permit.
/// </summary>
public sealed class RecordAccessTests(TestStore store) : StoreFixture(store)
{
    private const string OtherDoctor = "810002222222";

    [Test]
    public async Task A_professional_without_a_permit_is_denied_with_403()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.As(Tokens.Professional(OtherDoctor)).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.Forbidden));
    }

    [Test]
    public async Task A_permit_recorded_by_the_patient_lets_the_professional_read()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        await Fhir.As(Tokens.Patient(builder.Ins!)).CreatedAsync(ConsentBuilder.For(patient).Permitting(OtherDoctor).Build());

        var response = await Fhir.As(Tokens.Professional(OtherDoctor)).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
    }

    [Test]
    public async Task A_revoked_permit_takes_effect_on_the_next_request()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        var permit = await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(OtherDoctor).Build());
        var asOther = Fhir.As(Tokens.Professional(OtherDoctor));
        Assert.That((await asOther.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.OK));

        permit.Status = Consent.ConsentState.Inactive;
        await asPatient.UpdateAsync(permit);

        Assert.That((await asOther.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Breaking_the_glass_reads_a_record_without_a_permit()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.As(Tokens.ProfessionalFor("BTG", OtherDoctor)).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
    }

    [Test]
    public async Task Breaking_the_glass_is_denied_when_the_patient_opposed_it()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        await Fhir.As(Tokens.Patient(builder.Ins!)).CreatedAsync(ConsentBuilder.For(patient).OpposingPurpose("BTG").Build());

        var response = await Fhir.As(Tokens.ProfessionalFor("BTG", OtherDoctor)).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
    }

    [Test]
    public async Task A_blocked_professional_is_denied_even_when_breaking_the_glass()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        await Fhir.As(Tokens.Patient(builder.Ins!)).CreatedAsync(ConsentBuilder.For(patient).Blocking(OtherDoctor).Build());

        var response = await Fhir.As(Tokens.ProfessionalFor("BTG", OtherDoctor)).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
    }

    [Test]
    public async Task A_closed_record_denies_professionals_but_not_the_patient()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        patient.Active = false;
        await Fhir.As(Tokens.Patient(builder.Ins!)).UpdateAsync(patient);

        var professional = await Fhir.GetAsync($"fhir/Patient/{patient.Id}");
        var own = await Fhir.As(Tokens.Patient(builder.Ins!)).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(professional.Status, Is.EqualTo(HttpStatusCode.Forbidden), professional.ToString());
            Assert.That(own.Status, Is.EqualTo(HttpStatusCode.OK), own.ToString());
        });
    }

    [Test]
    public async Task A_patient_cannot_read_another_patients_record()
    {
        var builder = new PatientBuilder();
        await CreatePatientAsync(builder);
        var other = await CreatePatientAsync();

        var response = await Fhir.As(Tokens.Patient(builder.Ins!)).GetAsync($"fhir/Patient/{other.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
    }

    [Test]
    public async Task A_patients_search_is_confined_to_their_own_record()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var other = await CreatePatientAsync();
        var own = await CreateDocumentAsync(DocumentBuilder.For(patient));
        await CreateDocumentAsync(DocumentBuilder.For(other));

        var bundle = await Fhir.As(Tokens.Patient(builder.Ins!)).SearchBundleAsync("DocumentReference", "status=current");

        Assert.That(bundle.MatchIds(), Is.EquivalentTo(new[] { own.Id }));
    }

    [Test]
    public async Task A_professionals_search_naming_a_denied_record_answers_403()
    {
        var patient = await CreatePatientAsync();
        await CreateDocumentAsync(DocumentBuilder.For(patient));

        var response = await Fhir.As(Tokens.Professional(OtherDoctor)).SearchAsync("DocumentReference", $"patient={patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
    }

    [Test]
    public async Task A_professional_cannot_record_a_block_in_the_patients_name()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.CreateAsync(ConsentBuilder.For(patient).Blocking(OtherDoctor).Build());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
    }

    [Test]
    public async Task A_professional_declares_the_patients_agreement_with_a_permit_naming_themselves()
    {
        var patient = await CreatePatientAsync();
        var asOther = Fhir.As(Tokens.Professional(OtherDoctor));

        var declared = await asOther.CreateAsync(ConsentBuilder.For(patient).Permitting(OtherDoctor).Build());
        var read = await asOther.GetAsync($"fhir/Patient/{patient.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(declared.Status, Is.EqualTo(HttpStatusCode.Created), declared.ToString());
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK), read.ToString());
        });
    }

    [Test]
    public async Task A_patient_opens_only_their_own_record()
    {
        var response = await Fhir.As(Tokens.Patient(new PatientBuilder().Ins!)).CreateAsync(new PatientBuilder().Build());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
    }

    [Test]
    public async Task Only_the_depositing_professional_may_change_or_delete_a_document()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        await Fhir.As(Tokens.Patient(builder.Ins!)).CreatedAsync(ConsentBuilder.For(patient).Permitting(OtherDoctor).Build());
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var asOther = Fhir.As(Tokens.Professional(OtherDoctor));

        var update = await asOther.UpdateAsync(document);
        var delete = await asOther.DeleteAsync($"fhir/DocumentReference/{document.Id}");
        var byAuthor = await Fhir.DeleteAsync($"fhir/DocumentReference/{document.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(update.Status, Is.EqualTo(HttpStatusCode.Forbidden), update.ToString());
            Assert.That(delete.Status, Is.EqualTo(HttpStatusCode.Forbidden), delete.ToString());
            Assert.That(byAuthor.Status, Is.EqualTo(HttpStatusCode.NoContent), byAuthor.ToString());
        });
    }
}
