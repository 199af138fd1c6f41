using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>AllergyIntolerance and Consent: each belongs to one known patient's record (DESIGN §4, DMP-RULES §5).</summary>
public sealed class AllergyAndConsentTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task An_allergy_is_created_and_read_back()
    {
        var patient = await CreatePatientAsync();

        var created = await Fhir.CreatedAsync(AllergyBuilder.For(patient).Build());
        var response = await Fhir.GetAsync($"fhir/AllergyIntolerance/{created.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var read = response.Resource<AllergyIntolerance>();
        Assert.Multiple(() =>
        {
            Assert.That(read.Patient?.Reference, Is.EqualTo($"Patient/{patient.Id}"));
            Assert.That(read.Code?.Coding.Single().Code, Is.EqualTo("91936005"));
            Assert.That(read.Meta?.VersionId, Is.EqualTo("1"));
        });
    }

    [Test]
    public async Task Allergies_are_found_by_patient()
    {
        var patient = await CreatePatientAsync();
        var other = await CreatePatientAsync();
        var penicillin = await Fhir.CreatedAsync(AllergyBuilder.For(patient).Build());
        var peanut = await Fhir.CreatedAsync(AllergyBuilder.For(patient).Code("91935009", "Allergy to peanut").Build());
        await Fhir.CreatedAsync(AllergyBuilder.For(other).Build());

        var bundle = await Fhir.SearchBundleAsync("AllergyIntolerance", $"patient={patient.Id}");

        Assert.That(bundle.MatchIds(), Is.EquivalentTo(new[] { penicillin.Id, peanut.Id }));
    }

    [Test]
    public async Task Allergies_are_found_by_patient_and_code()
    {
        var patient = await CreatePatientAsync();
        await Fhir.CreatedAsync(AllergyBuilder.For(patient).Build());
        var peanut = await Fhir.CreatedAsync(AllergyBuilder.For(patient).Code("91935009", "Allergy to peanut").Build());

        var bundle = await Fhir.SearchBundleAsync("AllergyIntolerance", $"patient={patient.Id}&code={Uri.EscapeDataString("http://snomed.info/sct|91935009")}");

        Assert.That(bundle.MatchIds(), Is.EquivalentTo(new[] { peanut.Id }));
    }

    [Test]
    public async Task An_allergy_of_an_unknown_patient_answers_422()
    {
        var response = await Fhir.CreateAsync(AllergyBuilder.For(Guid.NewGuid().ToString("N")).Build());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
    }

    [Test]
    public async Task An_allergy_without_patient_is_invalid_FHIR_and_answers_400()
    {
        var allergy = AllergyBuilder.For("unused").Build();
        allergy.Patient = null!; // AllergyIntolerance.patient is 1..1 in R4

        var response = await Fhir.CreateAsync(allergy);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("patient"));
    }

    [Test]
    public async Task A_consent_is_created_and_read_back()
    {
        var patient = await CreatePatientAsync();

        var created = await Fhir.CreatedAsync(ConsentBuilder.For(patient).Build());
        var response = await Fhir.GetAsync($"fhir/Consent/{created.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var read = response.Resource<Consent>();
        Assert.Multiple(() =>
        {
            Assert.That(read.Patient?.Reference, Is.EqualTo($"Patient/{patient.Id}"));
            Assert.That(read.Provision?.Type, Is.EqualTo(Consent.ConsentProvisionType.Permit));
            Assert.That(read.Provision?.Actor.Single().Reference?.Identifier?.Value, Is.EqualTo(Tokens.DoctorIdNatPs));
        });
    }

    [Test]
    public async Task Opening_a_record_records_the_professionals_permit_in_it()
    {
        var patient = await CreatePatientAsync();

        var consents = (await Fhir.SearchBundleAsync("Consent", $"patient={patient.Id}")).Entry.Select(e => e.Resource).OfType<Consent>().ToList();

        var permit = consents.Single();
        Assert.Multiple(() =>
        {
            Assert.That(permit.Status, Is.EqualTo(Consent.ConsentState.Active));
            Assert.That(permit.Provision?.Type, Is.EqualTo(Consent.ConsentProvisionType.Permit));
            Assert.That(permit.Provision?.Actor.Single().Reference?.Identifier?.Value, Is.EqualTo(Tokens.DoctorIdNatPs));
            Assert.That(permit.Provision?.Purpose.Single().Code, Is.EqualTo("TREAT"));
        });
    }

    [Test]
    public async Task Consents_are_found_by_patient()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var other = await CreatePatientAsync();
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        var opening = (await Fhir.SearchBundleAsync("Consent", $"patient={patient.Id}")).MatchIds();
        var permit = await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting("810005555555").Build());
        var block = await asPatient.CreatedAsync(ConsentBuilder.For(patient).Blocking("810007777777").Build());
        await Fhir.CreatedAsync(ConsentBuilder.For(other).Build());

        // The patient reads every Consent of their record (DMP-RULES §3).
        var bundle = await asPatient.SearchBundleAsync("Consent", $"patient={patient.Id}");

        Assert.That(bundle.MatchIds(), Is.EquivalentTo(opening.Append(permit.Id).Append(block.Id)));
    }

    [Test]
    public async Task Consents_are_found_by_patient_and_status()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        var opening = (await Fhir.SearchBundleAsync("Consent", $"patient={patient.Id}")).MatchIds();
        var active = await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting("810005555555").Build());
        var revoked = await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting("810006666666").Build());
        revoked.Status = Consent.ConsentState.Inactive;
        await asPatient.UpdateAsync(revoked);

        var bundle = await asPatient.SearchBundleAsync("Consent", $"patient={patient.Id}&status=active");

        Assert.That(bundle.MatchIds(), Is.EquivalentTo(opening.Append(active.Id)));
    }

    [Test]
    public async Task A_consent_of_an_unknown_patient_answers_422()
    {
        var response = await Fhir.CreateAsync(ConsentBuilder.For(Guid.NewGuid().ToString("N")).Build());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
    }
}
