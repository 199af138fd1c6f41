using System.Net;
using DmpApi.Patients;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// The patient's health profile (issue 15): antécédents, treatments, vaccinations and measurements are recorded by the
/// patient or by the professions Access/health-profile.json lists, with the recorder from the token; only the recorder
/// and, for their own entries, the patient change or delete them; the patient hides any of them.
/// </summary>
public sealed class HealthProfileTests(TestStore store) : StoreFixture(store)
{
    private const string Nurse = "810006200060";
    private const string OtherDoctor = "810006200010";

    [Test]
    public async Task A_nurse_records_a_vaccination_as_its_performer_and_the_patient_reads_it()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(Nurse);
        var asNurse = Fhir.As(Tokens.Professional(Nurse, profession: "60"));

        var created = await asNurse.CreatedAsync(HealthProfileEntries.Vaccination(patient));
        var read = await asPatient.GetAsync($"fhir/Immunization/{created.Id}");

        Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK), read.ToString());
        var performer = read.Resource<Immunization>().Performer.Single().Actor;
        Assert.Multiple(() =>
        {
            Assert.That(performer.Identifier?.System, Is.EqualTo(Systems.IdNatPs));
            Assert.That(performer.Identifier?.Value, Is.EqualTo(Nurse));
        });
    }

    [Test]
    public async Task A_profession_the_table_does_not_let_record_a_type_gets_403()
    {
        const string physio = "810006200070";
        var (patient, _, _) = await RecordPermittingAsync(physio);

        var response = await Fhir.As(Tokens.Professional(physio, profession: "70")).CreateAsync(HealthProfileEntries.Condition(patient));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("health-profile.json"));
    }

    [Test]
    public async Task A_professional_without_access_to_the_record_cannot_record_in_it()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.As(Tokens.Professional(OtherDoctor)).CreateAsync(HealthProfileEntries.Condition(patient));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
    }

    [Test]
    public async Task Only_the_recorder_changes_or_deletes_a_professional_entry()
    {
        var (patient, _, _) = await RecordPermittingAsync(OtherDoctor);
        var condition = await Fhir.CreatedAsync(HealthProfileEntries.Condition(patient));
        condition.ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved");
        var asOther = Fhir.As(Tokens.Professional(OtherDoctor));

        var byOther = await asOther.UpdateAsync(condition);
        var deleteByOther = await asOther.DeleteAsync($"fhir/Condition/{condition.Id}");
        var byRecorder = await Fhir.UpdateAsync(condition);

        Assert.Multiple(() =>
        {
            Assert.That(byOther.Status, Is.EqualTo(HttpStatusCode.Forbidden), byOther.ToString());
            Assert.That(deleteByOther.Status, Is.EqualTo(HttpStatusCode.Forbidden), deleteByOther.ToString());
            Assert.That(byRecorder.Status, Is.EqualTo(HttpStatusCode.OK), byRecorder.ToString());
        });
    }

    [Test]
    public async Task The_patient_changes_and_deletes_their_own_entry()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();
        var weight = await asPatient.CreatedAsync(HealthProfileEntries.Weight(patient, 71m));
        weight.Value = HealthMeasurements.BodyWeight.Quantity(70.5m);

        var changed = await asPatient.UpdateAsync(weight);
        var deleted = await asPatient.DeleteAsync($"fhir/Observation/{weight.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(changed.Status, Is.EqualTo(HttpStatusCode.OK), changed.ToString());
            Assert.That(deleted.Status, Is.AnyOf(HttpStatusCode.OK, HttpStatusCode.NoContent), deleted.ToString());
        });
    }

    [Test]
    public async Task The_patient_hides_a_professional_entry_but_neither_changes_nor_deletes_it()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();
        var treatment = await Fhir.CreatedAsync(HealthProfileEntries.Treatment(patient));
        var changed = (MedicationStatement)treatment.DeepCopy();
        changed.Status = MedicationStatement.MedicationStatusCodes.Stopped;

        var change = await asPatient.UpdateAsync(changed);
        var delete = await asPatient.DeleteAsync($"fhir/MedicationStatement/{treatment.Id}");
        var hide = await asPatient.UpdateAsync(HealthProfileEntries.Hidden((MedicationStatement)treatment.DeepCopy()));

        Assert.Multiple(() =>
        {
            Assert.That(change.Status, Is.EqualTo(HttpStatusCode.Forbidden), change.ToString());
            Assert.That(delete.Status, Is.EqualTo(HttpStatusCode.Forbidden), delete.ToString());
            Assert.That(hide.Status, Is.EqualTo(HttpStatusCode.OK), hide.ToString());
        });
    }

    [Test]
    public async Task A_professional_cannot_hide_an_entry_not_even_their_own()
    {
        var patient = await CreatePatientAsync();

        var atCreation = await Fhir.CreateAsync(HealthProfileEntries.Hidden(HealthProfileEntries.Condition(patient)));
        var recorded = await Fhir.CreatedAsync(HealthProfileEntries.Condition(patient));
        var afterwards = await Fhir.UpdateAsync(HealthProfileEntries.Hidden(recorded));

        Assert.Multiple(() =>
        {
            Assert.That(atCreation.Status, Is.EqualTo(HttpStatusCode.Forbidden), atCreation.ToString());
            Assert.That(afterwards.Status, Is.EqualTo(HttpStatusCode.Forbidden), afterwards.ToString());
        });
    }

    [Test]
    public async Task Entries_are_found_by_code_status_date_and_last_updated()
    {
        var patient = await CreatePatientAsync();
        var diabetes = await Fhir.CreatedAsync(HealthProfileEntries.Condition(patient));
        var asthma = HealthProfileEntries.Condition(patient, "J45", "Asthme");
        asthma.ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved");
        asthma = await Fhir.CreatedAsync(asthma);
        var october = await Fhir.CreatedAsync(HealthProfileEntries.Weight(patient, 72m, "2026-10-01T09:00:00+02:00"));
        var november = await Fhir.CreatedAsync(HealthProfileEntries.Weight(patient, 71m, "2026-11-02T09:00:00+01:00"));
        var since = Uri.EscapeDataString(diabetes.Meta!.LastUpdated!.Value.ToString("yyyy-MM-ddTHH:mm:ss.fffzzz"));

        var byCode = await Fhir.SearchBundleAsync("Condition", $"subject={patient.Id}&code={Uri.EscapeDataString(HealthProfileEntries.Icd10 + "|J45")}");
        var byStatus = await Fhir.SearchBundleAsync("Condition", $"subject={patient.Id}&clinical-status=active");
        var byDate = await Fhir.SearchBundleAsync("Observation", $"subject={patient.Id}&code={HealthMeasurements.BodyWeight.Loinc}&date=ge2026-11-01");
        var byLastUpdated = await Fhir.SearchBundleAsync("Condition", $"subject={patient.Id}&_lastUpdated=ge{since}");

        Assert.Multiple(() =>
        {
            Assert.That(byCode.MatchIds(), Is.EqualTo(new[] { asthma.Id }));
            Assert.That(byStatus.MatchIds(), Is.EqualTo(new[] { diabetes.Id }));
            Assert.That(byDate.MatchIds(), Is.EqualTo(new[] { november.Id }), $"not {october.Id}, measured in October");
            Assert.That(byLastUpdated.MatchIds(), Is.EquivalentTo(new[] { diabetes.Id, asthma.Id }));
        });
    }

    [Test]
    public async Task Antecedents_and_treatments_are_found_by_date_as_the_other_profile_types_are()
    {
        var patient = await CreatePatientAsync();
        var old = await Fhir.CreatedAsync(HealthProfileEntries.Condition(patient));
        var recent = HealthProfileEntries.Condition(patient, "J45", "Asthme");
        recent.Onset = new FhirDateTime("2025-06-01");
        recent = await Fhir.CreatedAsync(recent);
        var oldTreatment = await Fhir.CreatedAsync(HealthProfileEntries.Treatment(patient));
        var recentTreatment = HealthProfileEntries.Treatment(patient);
        recentTreatment.Effective = new Period { Start = "2025-06-01" };
        recentTreatment = await Fhir.CreatedAsync(recentTreatment);

        var conditions = await Fhir.SearchBundleAsync("Condition", $"subject={patient.Id}&date=ge2025-01-01");
        var treatments = await Fhir.SearchBundleAsync("MedicationStatement", $"subject={patient.Id}&date=ge2025-01-01");

        Assert.Multiple(() =>
        {
            Assert.That(conditions.MatchIds(), Is.EqualTo(new[] { recent.Id }), $"not {old.Id}, begun in 2019");
            Assert.That(treatments.MatchIds(), Is.EqualTo(new[] { recentTreatment.Id }), $"not {oldTreatment.Id}, taken since 2019");
        });
    }

    [Test]
    public async Task A_vaccination_is_written_and_read_in_xml()
    {
        var patient = await CreatePatientAsync();

        var created = await Fhir.SendAsync(HttpMethod.Post, "fhir/Immunization", FhirHttp.XmlContent(HealthProfileEntries.Vaccination(patient)), null);
        var read = await Fhir.GetAsync($"fhir/Immunization/{created.Resource<Immunization>().Id}?_format=xml");

        Assert.Multiple(() =>
        {
            Assert.That(created.Status, Is.EqualTo(HttpStatusCode.Created), created.ToString());
            Assert.That(read.MediaType, Is.EqualTo(FhirHttp.Xml));
            Assert.That(read.Resource<Immunization>().VaccineCode.Coding.Single().Code, Is.EqualTo("88"));
        });
    }

    [Test]
    public async Task An_entry_of_an_unknown_patient_answers_422()
    {
        var response = await Fhir.CreateAsync(HealthProfileEntries.Condition(new Patient { Id = Guid.NewGuid().ToString("N") }));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
    }
}
