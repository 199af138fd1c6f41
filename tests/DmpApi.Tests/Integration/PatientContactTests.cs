using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// Patient.contact, the relatives to call in an emergency (issue 15): the patient names them; a professional reads them
/// only with read access to the record, normal (permit, médecin traitant) or emergency (BTG, ETREAT), never through an
/// author's write-only access (CSP R1111-47) nor as a system.
/// </summary>
public sealed class PatientContactTests(TestStore store) : StoreFixture(store)
{
    private const string Emergency = "810006400001";

    private static Patient.ContactComponent Sister() => new()
    {
        Relationship = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0131", "C", "Emergency Contact")],
        Name = new HumanName { Family = "MARTIN", Given = ["Sophie"] },
        Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Mobile, "+33 6 12 34 56 78")],
    };

    private async Task<(Patient Patient, FhirHttp AsPatient)> RecordWithContactAsync()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();
        var stored = (await asPatient.GetAsync($"fhir/Patient/{patient.Id}")).Resource<Patient>();
        stored.Contact.Add(Sister());
        var updated = await asPatient.UpdateAsync(stored);
        Assert.That(updated.Status, Is.EqualTo(HttpStatusCode.OK), $"Arrange: the patient names a relative: {updated}");
        return (updated.Resource<Patient>(), asPatient);
    }

    [Test]
    public async Task The_patient_names_a_relative_and_a_professional_in_emergency_reads_it()
    {
        var (patient, _) = await RecordWithContactAsync();

        var read = await Fhir.As(Tokens.ProfessionalFor("BTG", Emergency)).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK), read.ToString());
        Assert.That(read.Resource<Patient>().Contact.Single().Telecom.Single().Value, Is.EqualTo("+33 6 12 34 56 78"));
    }

    [Test]
    public async Task A_professional_cannot_change_the_relatives()
    {
        var (patient, _) = await RecordWithContactAsync();
        patient.Contact.Clear();

        var response = await Fhir.UpdateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("contact"));
    }

    [Test]
    public async Task An_author_feeding_the_record_without_a_permit_does_not_read_the_relatives()
    {
        const string formerAuthor = "810006400002";
        var (patient, asPatient) = await RecordWithContactAsync();
        var permit = await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(formerAuthor).Build());
        var asAuthor = Fhir.As(Tokens.Professional(formerAuthor));
        await asAuthor.CreatedAsync(DocumentBuilder.For(patient).Build());
        Assert.That((await asPatient.DeleteAsync($"fhir/Consent/{permit.Id}")).Status, Is.AnyOf(HttpStatusCode.OK, HttpStatusCode.NoContent), "Arrange: the permit is withdrawn");

        var feeds = await asAuthor.CreateAsync(DocumentBuilder.For(patient).Build());
        var read = await asAuthor.GetAsync($"fhir/Patient/{patient.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(feeds.Status, Is.EqualTo(HttpStatusCode.Created), "CSP R1111-47: the author still feeds the record");
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.Forbidden), read.ToString());
        });
    }
}
