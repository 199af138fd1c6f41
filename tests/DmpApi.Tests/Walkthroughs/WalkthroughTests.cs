using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Walkthroughs;

/// <summary>
/// Realistic days in a record, end to end through HTTP (DMP-RULES §2–§5): each walkthrough chains the rules as a
/// practice's software and the patient's app meet them, on a clock the test moves.
/// </summary>
public sealed class WalkthroughTests(TestStore store) : StoreFixture(store)
{
    private const string Pharmacist = "810002000001";
    private const string EmergencyDoctor = "810002000002";
    private const string Regulator = "810002000003";
    private const string Nurse = "810002000004";
    private const string Lab = "810002000005";
    private const string Cardiologist = "810002000006";

    private readonly TestClock _clock = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? Clock => _clock;

    /// <summary>The GP (the fixture's default doctor) opens the record at a consultation and is the médecin traitant.</summary>
    private async Task<(Patient Patient, FhirHttp AsPatient)> RecordAtTheGpAsync()
    {
        var builder = new PatientBuilder();
        var draft = builder.Build();
        draft.GeneralPractitioner.Add(new ResourceReference { Identifier = new Identifier(Systems.IdNatPs, Tokens.DoctorIdNatPs) });
        var patient = await Fhir.CreatedAsync(draft);
        return (patient, Fhir.As(Tokens.Patient(builder.Ins!)));
    }

    [Test]
    public async Task A_patient_masks_a_document_the_pharmacist_stops_seeing_it_and_the_trace_shows_who_read_it()
    {
        var (patient, asPatient) = await RecordAtTheGpAsync();
        var psychiatric = await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "11488-4"));
        await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(Pharmacist).Build());
        var pharmacist = Fhir.As(Tokens.Professional(Pharmacist, profession: "21"));
        Assert.That((await pharmacist.GetAsync($"fhir/DocumentReference/{psychiatric.Id}")).Status, Is.EqualTo(HttpStatusCode.OK), "before masking");

        var masked = await asPatient.PatchAsync($"fhir/DocumentReference/{psychiatric.Id}",
            JsonPatches.Mask);
        var pharmacistRead = await pharmacist.GetAsync($"fhir/DocumentReference/{psychiatric.Id}");
        var pharmacistCount = await pharmacist.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_summary=count");
        var gpRead = await Fhir.GetAsync($"fhir/DocumentReference/{psychiatric.Id}");
        var traces = await asPatient.SearchBundleAsync("AuditEvent", $"patient={patient.Id}&agent={Pharmacist}&_count=100");

        Assert.Multiple(() =>
        {
            Assert.That(masked.Status, Is.EqualTo(HttpStatusCode.OK), masked.ToString());
            Assert.That(pharmacistRead.Status, Is.EqualTo(HttpStatusCode.NotFound), "masked: hidden and absent look the same");
            Assert.That(pharmacistCount.Total, Is.EqualTo(0));
            Assert.That(gpRead.Status, Is.EqualTo(HttpStatusCode.OK), "the author and médecin traitant still reads it");
            var outcomes = traces.Entry.Select(e => e.Resource).OfType<AuditEvent>().Select(e => e.Outcome).ToList();
            // Newest first: the count, the read answered 404 (a failed read, outcome 4), the read before masking.
            Assert.That(outcomes, Is.EqualTo(new[] { AuditEvent.AuditEventOutcome.N0, AuditEvent.AuditEventOutcome.N4, AuditEvent.AuditEventOutcome.N0 }));
        });
    }

    [Test]
    public async Task An_emergency_doctor_is_refused_in_normal_mode_breaks_the_glass_and_the_patient_and_gp_are_told()
    {
        var (patient, asPatient) = await RecordAtTheGpAsync();
        var report = await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "34112-3"));
        var masked = await CreateDocumentAsync(DocumentBuilder.For(patient).SecurityLabel(Systems.Visibility, "MASQUE_PS"));

        var normal = await Fhir.As(Tokens.Professional(EmergencyDoctor)).SearchAsync("DocumentReference", $"patient={patient.Id}");
        var emergency = await Fhir.As(Tokens.ProfessionalFor("BTG", EmergencyDoctor)).SearchBundleAsync("DocumentReference", $"patient={patient.Id}");
        var notices = await asPatient.SearchBundleAsync("Communication", $"patient={patient.Id}&_count=100");
        var toGp = notices.Entry.Select(e => e.Resource).OfType<Communication>()
            .Where(c => c.Recipient.Any(r => r.Identifier?.Value == Tokens.DoctorIdNatPs)).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(normal.Status, Is.EqualTo(HttpStatusCode.Forbidden), normal.ToString());
            Assert.That(normal.Diagnostics, Does.Contain("bris de glace"), "the refusal tells the doctor what to do");
            Assert.That(emergency.MatchIds(), Is.EqualTo(new[] { report.Id }), $"the masked {masked.Id} stays hidden in emergency");
            Assert.That(toGp, Has.Count.EqualTo(1), "the médecin traitant is told of the emergency access");
        });
    }

    [Test]
    public async Task The_centre_15_regulator_reads_until_the_patient_opposes_regulation_and_a_nurse_cannot_regulate()
    {
        var (patient, asPatient) = await RecordAtTheGpAsync();
        await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "60591-5"));
        var regulator = Fhir.As(Tokens.ProfessionalFor("ETREAT", Regulator));

        var before = await regulator.SearchAsync("DocumentReference", $"patient={patient.Id}");
        var nurse = await Fhir.As(Tokens.ProfessionalFor("ETREAT", Nurse, profession: "60")).SearchAsync("DocumentReference", $"patient={patient.Id}");
        await asPatient.CreatedAsync(ConsentBuilder.For(patient).OpposingPurpose("ETREAT").Build());
        var after = await regulator.SearchAsync("DocumentReference", $"patient={patient.Id}");
        var glass = await Fhir.As(Tokens.ProfessionalFor("BTG", Regulator)).SearchAsync("DocumentReference", $"patient={patient.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(before.Status, Is.EqualTo(HttpStatusCode.OK), before.ToString());
            Assert.That(nurse.Status, Is.EqualTo(HttpStatusCode.Forbidden), nurse.ToString());
            Assert.That(after.Status, Is.EqualTo(HttpStatusCode.Forbidden), after.ToString());
            Assert.That(after.Diagnostics, Does.Contain("regulating doctor"));
            Assert.That(glass.Status, Is.EqualTo(HttpStatusCode.OK), "the two oppositions are independent (CSP L1111-17 I)");
        });
    }

    [Test]
    public async Task A_lab_result_waits_for_its_announcement_is_notified_at_two_weeks_and_shows_after_a_month()
    {
        var (patient, asPatient) = await RecordAtTheGpAsync();
        await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(Lab).Build());
        var lab = Fhir.As(Tokens.Professional(Lab, profession: "10"));
        var result = await lab.CreatedAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "11502-2")
            .SecurityLabel(Systems.Visibility, "INVISIBLE_PATIENT").Build());

        var atDeposit = await asPatient.GetAsync($"fhir/DocumentReference/{result.Id}");
        var gpAtDeposit = await Fhir.GetAsync($"fhir/DocumentReference/{result.Id}");
        _clock.Advance(TimeSpan.FromDays(31));
        var afterAMonth = await asPatient.GetAsync($"fhir/DocumentReference/{result.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(atDeposit.Status, Is.EqualTo(HttpStatusCode.NotFound), "hidden from the patient pending the announcement");
            Assert.That(gpAtDeposit.Status, Is.EqualTo(HttpStatusCode.OK), "professionals see it");
            Assert.That(afterAMonth.Status, Is.EqualTo(HttpStatusCode.OK), "one month after the deposit, whichever comes first");
        });
    }

    [Test]
    public async Task After_the_announcement_consultation_the_author_lifts_the_label_and_the_patient_sees_the_result()
    {
        var (patient, asPatient) = await RecordAtTheGpAsync();
        var result = await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "11502-2")
            .SecurityLabel(Systems.Visibility, "INVISIBLE_PATIENT"));
        Assert.That((await asPatient.GetAsync($"fhir/DocumentReference/{result.Id}")).Status, Is.EqualTo(HttpStatusCode.NotFound));

        var lifted = await Fhir.PatchAsync($"fhir/DocumentReference/{result.Id}", JsonPatches.RemoveFirstLabel);
        var seen = await asPatient.SearchBundleAsync("DocumentReference", $"patient={patient.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(lifted.Status, Is.EqualTo(HttpStatusCode.OK), lifted.ToString());
            Assert.That(seen.MatchIds(), Is.EqualTo(new[] { result.Id }));
        });
    }

    [Test]
    public async Task A_blocked_cardiologist_is_refused_in_every_mode_even_as_an_earlier_author_until_the_patient_lifts_the_block()
    {
        var (patient, asPatient) = await RecordAtTheGpAsync();
        await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(Cardiologist).Build());
        var cardiologist = Fhir.As(Tokens.Professional(Cardiologist));
        await cardiologist.CreatedAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "11488-4").Build());
        var block = await asPatient.CreatedAsync(ConsentBuilder.For(patient).Blocking(Cardiologist).Build());

        var read = await cardiologist.SearchAsync("DocumentReference", $"patient={patient.Id}");
        var glass = await Fhir.As(Tokens.ProfessionalFor("BTG", Cardiologist)).SearchAsync("DocumentReference", $"patient={patient.Id}");
        var feed = await cardiologist.CreateAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "11488-4").Build());
        block.Status = Consent.ConsentState.Inactive;
        Assert.That((await asPatient.UpdateAsync(block)).Status, Is.EqualTo(HttpStatusCode.OK), "arrange: the patient lifts the block");
        var afterLift = await cardiologist.SearchAsync("DocumentReference", $"patient={patient.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.Forbidden), read.ToString());
            Assert.That(read.Diagnostics, Does.Contain("blocked"));
            Assert.That(glass.Status, Is.EqualTo(HttpStatusCode.Forbidden), "a block holds in emergency too");
            Assert.That(feed.Status, Is.EqualTo(HttpStatusCode.Forbidden), "an earlier author is still stopped by a block");
            Assert.That(afterLift.Status, Is.EqualTo(HttpStatusCode.OK), "lifting the block takes effect on the next request");
        });
    }
}
