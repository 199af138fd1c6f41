using System.Net;
using DmpApi.Audit;
using DmpApi.Lifecycle;
using DmpApi.Storage;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Walkthroughs;

/// <summary>
/// A record's whole life (issue 14), end to end through HTTP on a clock the test moves: a child's record from birth to
/// majority, and a record closed, reopened, closed again and purged ten years later.
/// </summary>
public sealed class RecordLifeWalkthroughs(TestStore store) : StoreFixture(store)
{
    private const string Pharmacist = "810008000001";

    private readonly TestClock _clock = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? Clock => _clock;

    private DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(_clock.Now, TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris")).DateTime);

    [Test]
    public async Task A_childs_record_is_managed_by_a_parent_until_the_child_comes_of_age_and_then_is_theirs_alone()
    {
        // Born almost eighteen years ago: the maternity doctor opened the record and recorded the mother.
        var builder = new PatientBuilder().BornOn(Today.AddYears(-18).AddDays(30));
        var child = await CreatePatientAsync(builder);
        var mother = RelatedPersonBuilder.For(child).As("MTH");
        await Fhir.CreatedAsync(mother.Build());
        var asMother = Fhir.As(Tokens.Representative(builder.Ins!, mother.RepresentativeIns));
        var asChild = Fhir.As(Tokens.Patient(builder.Ins!));

        // The mother manages: she authorises the pharmacist; the doctor keeps one consultation from the parents.
        var report = await CreateDocumentAsync(DocumentBuilder.For(child));
        var confidential = await CreateDocumentAsync(DocumentBuilder.For(child).SecurityLabel(Systems.Visibility, "INVISIBLE_REPRESENTANTS_LEGAUX"));
        var permit = await asMother.CreateAsync(ConsentBuilder.For(child).Permitting(Pharmacist).Build());
        var motherSees = await asMother.SearchBundleAsync("DocumentReference", $"patient={child.Id}");
        var childBefore = await asChild.GetAsync($"fhir/Patient/{child.Id}");

        // Thirty-one days later the child is of age: no write happened.
        _clock.Advance(TimeSpan.FromDays(31));
        var motherAfter = await asMother.GetAsync($"fhir/Patient/{child.Id}");
        var childSees = await asChild.SearchBundleAsync("DocumentReference", $"patient={child.Id}");
        var childTraces = await asChild.SearchBundleAsync("AuditEvent", $"patient={child.Id}&_count=200");
        var pharmacist = await Fhir.As(Tokens.Professional(Pharmacist, profession: "21")).GetAsync($"fhir/DocumentReference/{report.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(permit.Status, Is.EqualTo(HttpStatusCode.Created), permit.ToString());
            Assert.That(motherSees.MatchIds(), Is.EqualTo(new[] { report.Id }), "the confidential consultation is absent for the mother");
            Assert.That(childBefore.Status, Is.EqualTo(HttpStatusCode.Forbidden), "a minor's record is their representatives'");
            Assert.That(motherAfter.Status, Is.EqualTo(HttpStatusCode.Forbidden), motherAfter.ToString());
            Assert.That(childSees.MatchIds(), Is.EquivalentTo(new[] { report.Id, confidential.Id }), "the holder sees everything, the confidential one too");
            Assert.That(childTraces.Entry.Select(e => e.Resource).OfType<AuditEvent>().Any(e => e.Agent.Any(a => a.Who?.Identifier?.Value == mother.RepresentativeIns)),
                Is.True, "the holder reads what their mother did in their record");
            Assert.That(pharmacist.Status, Is.EqualTo(HttpStatusCode.OK), "the mother's authorisation outlives her access");
        });
    }

    [Test]
    public async Task A_record_closed_reopened_and_closed_again_is_purged_ten_years_after_its_last_closure()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
        await asPatient.CreatedAsync(ConsentBuilder.For(patient).OpposingPurpose("BTG").Build());

        // First closure, by the patient: the motif the DMP uses is recorded.
        var closed = await CloseAsync(asPatient, patient.Id!, active: false);
        var whileClosed = await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}");

        // Reopened two years later: the opening doctor's permit and the opposition to bris de glace hold again.
        _clock.Advance(TimeSpan.FromDays(730));
        await CloseAsync(asPatient, patient.Id!, active: true);
        var reopenedRead = await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}");
        var emergency = await Fhir.As(Tokens.ProfessionalFor("BTG", "810008000002")).GetAsync($"fhir/Patient/{patient.Id}");

        // Closed again; nine years on it is kept, ten years and a day on it is purged.
        await CloseAsync(asPatient, patient.Id!, active: false);
        var purge = App.Services.GetRequiredService<RecordPurge>();
        _clock.Advance(TimeSpan.FromDays(365 * 9));
        var earlyRound = await purge.PurgeExpiredAsync(dryRun: false, progress: null, CancellationToken.None);
        var stillThere = await asPatient.GetAsync($"fhir/DocumentReference/{document.Id}");
        _clock.Advance(TimeSpan.FromDays(366 + 3));
        var dryRun = await purge.PurgeExpiredAsync(dryRun: true, progress: null, CancellationToken.None);
        var round = await purge.PurgeExpiredAsync(dryRun: false, progress: null, CancellationToken.None);
        var again = await purge.PurgeExpiredAsync(dryRun: false, progress: null, CancellationToken.None);

        var patientAfter = await asPatient.GetAsync($"fhir/Patient/{patient.Id}");
        var documentAfter = await asPatient.GetAsync($"fhir/DocumentReference/{document.Id}");
        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
        var left = await db.Resources.CountAsync(r => r.PatientId == patient.Id);
        var binaries = await db.Binaries.CountAsync(b => b.PatientId == patient.Id);
        var indexRows = await db.TokenIndex.CountAsync(t => t.PatientId == patient.Id);
        var purgeTraces = await db.AuditRecords.CountAsync(r => r.PatientId == patient.Id && r.Subject == RecordPurge.SystemSubject);
        var verification = await VerifyAuditCommand.VerifyAsync(db);

        Assert.Multiple(() =>
        {
            Assert.That(closed.Extension.Select(e => e.Value).OfType<Coding>().Select(c => (c.System, c.Code)),
                Does.Contain(("urn:oid:1.2.250.1.213.4.1.2.4", "FERMETURE_DEMANDE_PATIENT")));
            Assert.That(whileClosed.Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(reopenedRead.Status, Is.EqualTo(HttpStatusCode.OK), "the opening permit is back");
            Assert.That(emergency.Status, Is.EqualTo(HttpStatusCode.Forbidden), "the opposition to bris de glace is back");
            Assert.That(earlyRound.Records, Is.Zero, "nine years after the last closure the record is kept");
            Assert.That(stillThere.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(dryRun.Records, Is.EqualTo(1));
            Assert.That(dryRun.Binaries, Is.EqualTo(1));
            Assert.That(round, Is.EqualTo(dryRun), "the purge destroys what the dry run announced");
            Assert.That(again.Records, Is.Zero, "idempotent");
            Assert.That(patientAfter.Status, Is.EqualTo(HttpStatusCode.Gone), patientAfter.ToString());
            Assert.That(documentAfter.Status, Is.Not.EqualTo(HttpStatusCode.OK));
            Assert.That(left, Is.EqualTo(1), "only the Patient's tombstone is left");
            Assert.That(binaries, Is.Zero);
            Assert.That(indexRows, Is.Zero);
            Assert.That(purgeTraces, Is.EqualTo(1), "the purge is traced once");
            Assert.That(verification.Broken, Is.Null, "the audit chain still verifies");
        });
    }

    /// <summary>The patient closes (active = false) or reopens their record; the stored version comes back.</summary>
    private static async Task<Patient> CloseAsync(FhirHttp asPatient, string patientId, bool active)
    {
        var current = (await asPatient.GetAsync($"fhir/Patient/{patientId}")).Resource<Patient>();
        current.Active = active;
        var response = await asPatient.UpdateAsync(current);
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        return response.Resource<Patient>();
    }
}
