using System.Net;
using DmpApi.Tests.Infrastructure;

namespace DmpApi.Tests.Access;

/// <summary>
/// Issue 15 item 4, through the API: a permit Consent whose purpose is an emergency mode authorises that professional in
/// that mode only, and only the patient records one (a professional declares the patient's agreement for TREAT alone).
/// </summary>
public sealed class EmergencyOnlyPermitTests(TestStore store) : StoreFixture(store)
{
    private const string EmergencyDoctor = "810006666666";

    [Test]
    public async Task A_professional_permitted_only_for_bris_de_glace_reads_in_that_mode_despite_the_opposition_and_not_otherwise()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();
        await asPatient.CreatedAsync(ConsentBuilder.For(patient).OpposingPurpose("BTG").Build());
        await asPatient.CreatedAsync(ConsentBuilder.For(patient).PermittingOnlyIn("BTG", EmergencyDoctor).Build());

        var inEmergency = await Fhir.As(Tokens.ProfessionalFor("BTG", EmergencyDoctor)).GetAsync($"fhir/Patient/{patient.Id}");
        var inNormalMode = await Fhir.As(Tokens.Professional(EmergencyDoctor)).GetAsync($"fhir/Patient/{patient.Id}");
        var anotherInEmergency = await Fhir.As(Tokens.ProfessionalFor("BTG", "810007777777")).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(inEmergency.Status, Is.EqualTo(HttpStatusCode.OK), inEmergency.ToString());
            Assert.That(inNormalMode.Status, Is.EqualTo(HttpStatusCode.Forbidden), inNormalMode.ToString());
            Assert.That(anotherInEmergency.Status, Is.EqualTo(HttpStatusCode.Forbidden), anotherInEmergency.ToString());
        });
    }

    [Test]
    public async Task A_professional_cannot_record_an_emergency_only_permit_naming_themselves()
    {
        var (patient, _, _) = await RecordPermittingAsync();

        var recorded = await Fhir.As(Tokens.Professional(EmergencyDoctor))
            .CreateAsync(ConsentBuilder.For(patient).PermittingOnlyIn("BTG", EmergencyDoctor).Build());

        Assert.That(recorded.Status, Is.EqualTo(HttpStatusCode.Forbidden), recorded.ToString());
    }
}
