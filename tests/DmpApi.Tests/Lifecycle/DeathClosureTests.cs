using System.Net;
using DmpApi.Lifecycle;
using DmpApi.Patients;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Lifecycle;

/// <summary>
/// Closure on a recorded death (issue 14): a system granted the death-record right (the INSi / état-civil feed) closes the
/// record with the death and the death motif, and changes nothing else; the holder does not reopen such a record; the
/// ten-year retention runs from that closure as from any other.
/// </summary>
public sealed class DeathClosureTests(TestStore store) : StoreFixture(store)
{
    private const string FeedBase = "https://dmp.example/fhir";

    private readonly TestClock _clock = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? Clock => _clock;

    private FhirHttp AsDeathFeed => Fhir.As(SystemTokens.Feed(SystemTokens.DeathFeed));

    /// <summary>The Patient as stored, with the death recorded as the feed sends it.</summary>
    private static Patient DeathOf(Patient stored)
    {
        var dead = (Patient)stored.DeepCopy();
        dead.Deceased = new FhirDateTime("2026-11-30");
        dead.Active = false;
        dead.Extension.Add(RecordClosure.DeathMotif(FeedBase));
        return dead;
    }

    private async Task<(Patient Stored, FhirHttp AsPatient)> OpenRecordAsync()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();
        return ((await asPatient.GetAsync($"fhir/Patient/{patient.Id}")).Resource<Patient>(), asPatient);
    }

    [Test]
    public async Task A_death_feed_closes_the_record_on_a_recorded_death()
    {
        var (stored, asPatient) = await OpenRecordAsync();

        var response = await AsDeathFeed.UpdateAsync(DeathOf(stored));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var closed = (await asPatient.GetAsync($"fhir/Patient/{stored.Id}")).Resource<Patient>();
        Assert.Multiple(() =>
        {
            Assert.That(closed.Active, Is.False);
            Assert.That(closed.Deceased, Is.InstanceOf<FhirDateTime>());
            Assert.That(RecordClosure.IsClosedOnDeath(closed), Is.True, "the death motif is recorded");
            Assert.That(RecordClosure.ClosedOn(closed), Is.Not.Null, "the server records the closure date");
        });
    }

    [Test]
    public async Task A_system_without_the_death_right_cannot_close_a_record()
    {
        var (stored, asPatient) = await OpenRecordAsync();

        var response = await Fhir.As(SystemTokens.Feed()).UpdateAsync(DeathOf(stored));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That((await asPatient.GetAsync($"fhir/Patient/{stored.Id}")).Resource<Patient>().Active, Is.Not.False, "the record stays open");
    }

    [Test]
    public async Task A_death_feed_changes_nothing_but_the_death_and_the_closure()
    {
        var (stored, asPatient) = await OpenRecordAsync();
        var renamed = DeathOf(stored);
        renamed.Name = [new HumanName { Family = "AUTRE", Given = ["Nom"] }];
        var moved = DeathOf(stored);
        moved.Address = [new Address { City = "Lyon" }];
        var closedWithoutDeath = (Patient)stored.DeepCopy();
        closedWithoutDeath.Active = false;
        closedWithoutDeath.Extension.Add(RecordClosure.DeathMotif(FeedBase));

        var responses = new[]
        {
            await AsDeathFeed.UpdateAsync(renamed),
            await AsDeathFeed.UpdateAsync(moved),
            await AsDeathFeed.UpdateAsync(closedWithoutDeath),
        };

        Assert.Multiple(() =>
        {
            foreach (var response in responses)
            {
                Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
            }
        });
        Assert.That((await asPatient.GetAsync($"fhir/Patient/{stored.Id}")).Resource<Patient>().Active, Is.Not.False, "nothing was written");
    }

    [Test]
    public async Task Neither_a_professional_nor_the_patient_records_a_death_closure()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(Tokens.DoctorIdNatPs);
        var stored = (await asPatient.GetAsync($"fhir/Patient/{patient.Id}")).Resource<Patient>();

        var byDoctor = await Fhir.UpdateAsync(DeathOf(stored));
        var byPatient = await asPatient.UpdateAsync(DeathOf(stored));

        Assert.Multiple(() =>
        {
            Assert.That(byDoctor.Status, Is.EqualTo(HttpStatusCode.Forbidden), byDoctor.ToString());
            Assert.That(byPatient.Status, Is.EqualTo(HttpStatusCode.Forbidden), byPatient.ToString());
        });
    }

    [Test]
    public async Task A_record_closed_on_a_death_is_not_reopened()
    {
        var (stored, asPatient) = await OpenRecordAsync();
        Assert.That((await AsDeathFeed.UpdateAsync(DeathOf(stored))).Status, Is.EqualTo(HttpStatusCode.OK), "Arrange: the death is recorded");
        var closed = (await asPatient.GetAsync($"fhir/Patient/{stored.Id}")).Resource<Patient>();
        closed.Active = true;
        closed.Deceased = null;
        closed.Extension.Clear();

        var reopening = await asPatient.UpdateAsync(closed);

        Assert.That(reopening.Status, Is.EqualTo(HttpStatusCode.Forbidden), reopening.ToString());
        Assert.That(reopening.ToString(), Does.Contain("death"));
        Assert.That((await asPatient.GetAsync($"fhir/Patient/{stored.Id}")).Resource<Patient>().Active, Is.False, "the record stays closed");
    }

    [Test]
    public async Task A_record_closed_on_a_death_is_purged_ten_years_after_the_closure()
    {
        var (stored, asPatient) = await OpenRecordAsync();
        Assert.That((await AsDeathFeed.UpdateAsync(DeathOf(stored))).Status, Is.EqualTo(HttpStatusCode.OK), "Arrange: the death is recorded");
        var purge = App.Services.GetRequiredService<RecordPurge>();

        _clock.Advance(TimeSpan.FromDays(365 * 9));
        await purge.PurgeExpiredAsync(dryRun: false, progress: null, CancellationToken.None);
        var nineYearsOn = await asPatient.GetAsync($"fhir/Patient/{stored.Id}");
        _clock.Advance(TimeSpan.FromDays(366 + 3));
        await purge.PurgeExpiredAsync(dryRun: false, progress: null, CancellationToken.None);
        var tenYearsOn = await asPatient.GetAsync($"fhir/Patient/{stored.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(nineYearsOn.Status, Is.EqualTo(HttpStatusCode.OK), "kept nine years after the death: " + nineYearsOn);
            Assert.That(tenYearsOn.Status, Is.EqualTo(HttpStatusCode.Gone), "purged ten years after the closure on death: " + tenYearsOn);
        });
    }
}
