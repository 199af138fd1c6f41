using System.Net;
using DmpApi.Notifications;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace DmpApi.Tests.Notifications;

/// <summary>
/// Patient notifications (DMP-RULES §4; CSP R1111-48, R1111-53), end to end: the access decision notifies, the sweep
/// notifies unannounced documents, and the patient reads them as Communications.
/// </summary>
public sealed class NotificationTests(TestStore store) : StoreFixture(store)
{
    private const string OtherDoctor = "810003333333";
    private const string SecondDoctor = "810004444444";
    private const string TreatingDoctor = "810005555555";

    [Test]
    public async Task The_first_access_by_a_professional_notifies_the_patient_once()
    {
        var (patient, ins, _) = await RecordPermittingAsync(OtherDoctor);
        var asOther = Fhir.As(Tokens.Professional(OtherDoctor));

        Assert.That((await asOther.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await asOther.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.OK));

        var about = (await NotificationsAsync(patient, ins)).Where(c => Mentions(c, OtherDoctor)).ToList();
        Assert.That(about, Has.Count.EqualTo(1));
        Assert.That(about[0].Recipient.Single().Reference, Is.EqualTo($"Patient/{patient.Id}"));
        Assert.That(Text(about[0]), Does.Contain("première fois").And.Contain("first time"));
    }

    [Test]
    public async Task Each_professional_s_first_access_is_notified_separately()
    {
        var (patient, ins, _) = await RecordPermittingAsync(OtherDoctor, SecondDoctor);

        await Fhir.As(Tokens.Professional(OtherDoctor)).GetAsync($"fhir/Patient/{patient.Id}");
        await Fhir.As(Tokens.Professional(SecondDoctor)).SearchAsync("DocumentReference", $"patient=Patient/{patient.Id}");

        var notifications = await NotificationsAsync(patient, ins);
        Assert.Multiple(() =>
        {
            Assert.That(notifications.Count(c => Mentions(c, OtherDoctor)), Is.EqualTo(1));
            Assert.That(notifications.Count(c => Mentions(c, SecondDoctor)), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Breaking_the_glass_notifies_the_patient_and_the_medecin_traitant_once_per_episode()
    {
        var builder = new PatientBuilder();
        var draft = builder.Build();
        draft.GeneralPractitioner.Add(new ResourceReference { Identifier = new Identifier(Systems.IdNatPs, TreatingDoctor) });
        var patient = await Fhir.CreatedAsync(draft);
        var asEmergency = Fhir.As(Tokens.ProfessionalFor("BTG", OtherDoctor));

        Assert.That((await asEmergency.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await asEmergency.SearchAsync("DocumentReference", $"patient=Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.OK));

        var emergencies = (await NotificationsAsync(patient, builder.Ins!)).Where(c => Mentions(c, OtherDoctor)).ToList();
        var toPatient = emergencies.Where(c => c.Recipient.Single().Reference == $"Patient/{patient.Id}").ToList();
        var toDoctor = emergencies.Where(c => c.Recipient.Single().Identifier?.Value == TreatingDoctor).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(toPatient, Has.Count.EqualTo(1), "one per emergency episode (Notifications:EmergencyEpisodeWindow), not one per request");
            Assert.That(toDoctor, Has.Count.EqualTo(1), "the médecin traitant too (CSP R1111-48)");
            Assert.That(toDoctor.Select(c => c.Recipient.Single().Identifier?.System), Is.All.EqualTo(Systems.IdNatPs));
            Assert.That(emergencies.Select(Text), Is.All.Contain("bris de glace").And.All.Contain("break-the-glass"));
        });
    }

    [Test]
    public async Task The_medecin_traitant_reads_the_notices_addressed_to_them_and_no_colleague_s()
    {
        var builder = new PatientBuilder();
        var draft = builder.Build();
        draft.GeneralPractitioner.Add(new ResourceReference { Identifier = new Identifier(Systems.IdNatPs, TreatingDoctor) });
        var patient = await Fhir.CreatedAsync(draft);
        await Fhir.As(Tokens.ProfessionalFor("BTG", OtherDoctor)).GetAsync($"fhir/Patient/{patient.Id}");
        var asTreatingDoctor = Fhir.As(Tokens.Professional(TreatingDoctor));

        var own = await asTreatingDoctor.SearchBundleAsync("Communication", $"recipient:identifier={Systems.IdNatPs}|{TreatingDoctor}");
        var byDefault = await asTreatingDoctor.SearchBundleAsync("Communication", $"patient=Patient/{patient.Id}");
        var notice = own.Entry.Select(e => e.Resource).OfType<Communication>().Single(c => c.Subject?.Reference == $"Patient/{patient.Id}");
        var colleague = await Fhir.As(Tokens.Professional(OtherDoctor)).SearchAsync("Communication", $"recipient:identifier={Systems.IdNatPs}|{TreatingDoctor}");
        var colleagueReads = await Fhir.As(Tokens.Professional(OtherDoctor)).GetAsync($"fhir/Communication/{notice.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(Mentions(notice, OtherDoctor), Is.True);
            Assert.That(byDefault.Entry.Select(e => e.Resource?.Id), Is.EqualTo(new[] { notice.Id }), "only what is addressed to them, never the patient's own notices");
            Assert.That(colleague.Status, Is.EqualTo(HttpStatusCode.Forbidden), colleague.ToString());
            Assert.That(colleagueReads.Status, Is.EqualTo(HttpStatusCode.NotFound), colleagueReads.ToString());
        });
    }

    [Test]
    public async Task An_unannounced_invisible_document_is_notified_after_two_weeks_by_one_sweep_and_only_once()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient).SecurityLabel(Systems.Visibility, "INVISIBLE_PATIENT"));
        var clock = new FakeClock(DateTimeOffset.UtcNow);
        var sweeper = Sweeper(clock);

        clock.Now = DateTimeOffset.UtcNow.AddDays(13);
        await sweeper.SweepAsync(CancellationToken.None);
        Assert.That(Unannounced(await NotificationsAsync(patient, builder.Ins!)), Is.Empty, "not before two weeks");

        clock.Now = DateTimeOffset.UtcNow.AddDays(15);
        await sweeper.SweepAsync(CancellationToken.None);
        await sweeper.SweepAsync(CancellationToken.None);

        var notified = Unannounced(await NotificationsAsync(patient, builder.Ins!));
        Assert.That(notified, Has.Count.EqualTo(1), "one sweep notifies, the next does not notify again");
        Assert.Multiple(() =>
        {
            Assert.That(notified[0].Recipient.Single().Reference, Is.EqualTo($"Patient/{patient.Id}"));
            Assert.That(notified[0].About, Is.Empty);
            // CSP R1111-53: the notification never reveals the hidden document.
            Assert.That(System.Text.Encoding.UTF8.GetString(FhirHttp.JsonBytes(notified[0])), Does.Not.Contain(document.Id));
        });
    }

    [Test]
    public async Task The_patient_reads_their_communications_newest_first()
    {
        var (patient, ins, _) = await RecordPermittingAsync(OtherDoctor);
        await Fhir.As(Tokens.Professional(OtherDoctor)).GetAsync($"fhir/Patient/{patient.Id}");
        await Fhir.As(Tokens.ProfessionalFor("BTG", SecondDoctor)).GetAsync($"fhir/Patient/{patient.Id}");
        var asPatient = Fhir.As(Tokens.Patient(ins));

        var bundle = await asPatient.SearchBundleAsync("Communication", $"patient=Patient/{patient.Id}&_count=1");
        var newest = bundle.Entry.Select(e => e.Resource).OfType<Communication>().Single();
        var read = await asPatient.GetAsync($"fhir/Communication/{newest.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(Mentions(newest, SecondDoctor), Is.True, "newest first");
            Assert.That(bundle.LinkUrl("next"), Is.Not.Null);
            Assert.That(newest.Status, Is.EqualTo(EventStatus.Preparation), "no SMTP server in this fixture: not mailed yet");
            Assert.That(newest.Category.Single().Coding.Single().Code, Is.EqualTo("notification"));
            Assert.That(newest.Subject?.Reference, Is.EqualTo($"Patient/{patient.Id}"));
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK), read.ToString());
            Assert.That(read.Resource<Communication>().Id, Is.EqualTo(newest.Id));
        });
    }

    [Test]
    public async Task A_professional_does_not_read_the_patient_s_notifications()
    {
        var (patient, ins, _) = await RecordPermittingAsync(OtherDoctor);
        await Fhir.As(Tokens.Professional(OtherDoctor)).GetAsync($"fhir/Patient/{patient.Id}");
        var id = (await NotificationsAsync(patient, ins)).First().Id;

        var search = await Fhir.SearchAsync("Communication", $"patient=Patient/{patient.Id}");
        var addressedToPatient = await Fhir.SearchAsync("Communication", $"recipient=Patient/{patient.Id}");
        var read = await Fhir.GetAsync($"fhir/Communication/{id}");

        Assert.Multiple(() =>
        {
            Assert.That(search.Status, Is.EqualTo(HttpStatusCode.OK), search.ToString());
            Assert.That(search.Resource<Bundle>().Entry, Is.Empty, "none of them is addressed to this professional");
            Assert.That(addressedToPatient.Status, Is.EqualTo(HttpStatusCode.Forbidden), addressedToPatient.ToString());
            Assert.That(addressedToPatient.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.Forbidden));
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.NotFound), read.ToString());
        });
    }

    [Test]
    public async Task A_patient_cannot_read_another_record_s_notifications()
    {
        var (patient, _, _) = await RecordPermittingAsync(OtherDoctor);
        var (_, otherIns, _) = await RecordPermittingAsync(OtherDoctor);

        var search = await Fhir.As(Tokens.Patient(otherIns)).SearchAsync("Communication", $"patient=Patient/{patient.Id}");

        Assert.That(search.Status, Is.EqualTo(HttpStatusCode.Forbidden), search.ToString());
    }

    private async Task<List<Communication>> NotificationsAsync(Patient patient, string ins)
    {
        var bundle = await Fhir.As(Tokens.Patient(ins)).SearchBundleAsync("Communication", $"patient=Patient/{patient.Id}&_count=100");
        return bundle.Entry.Select(e => e.Resource).OfType<Communication>().ToList();
    }

    private UnannouncedDocumentSweeper Sweeper(TimeProvider clock) => new(
        App.Services.GetRequiredService<IServiceScopeFactory>(),
        App.Services.GetRequiredService<NotificationStore>(),
        clock,
        Options.Create(new NotificationOptions()),
        NullLogger<UnannouncedDocumentSweeper>.Instance);

    private static List<Communication> Unannounced(IEnumerable<Communication> notifications) =>
        notifications.Where(c => Text(c).Contains("mis à jour", StringComparison.Ordinal)).ToList();

    private static string Text(Communication c) => (c.Payload.Single().Content as FhirString)?.Value ?? string.Empty;

    private static bool Mentions(Communication c, string idNatPs) => Text(c).Contains(idNatPs, StringComparison.Ordinal);

    /// <summary>A clock the test sets: the sweep runs as if weeks had passed.</summary>
    private sealed class FakeClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
