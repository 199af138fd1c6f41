using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// Several instances behind a load balancer share nothing but the database and their configuration: what one instance
/// changes or issues, the next request to another one sees or honours. A second application on the fixture's database
/// plays the other instance.
/// </summary>
public sealed class InstancesShareOnlyTheDatabaseTests(TestStore store) : StoreFixture(store)
{
    private const string OtherDoctor = "810006666666";

    private DmpApiApplication? _second;
    private FhirHttp? _secondFhir;

    /// <summary>The other instance, acting as the default professional.</summary>
    private FhirHttp Second => _secondFhir!;

    [OneTimeSetUp]
    public void StartSecondInstance()
    {
        _second = new DmpApiApplication(Database);
        _secondFhir = new FhirHttp(_second.CreateClient(), Tokens.Professional());
    }

    [OneTimeTearDown]
    public async Task StopSecondInstanceAsync()
    {
        _secondFhir?.Http.Dispose();
        if (_second is not null)
        {
            await _second.DisposeAsync();
        }
    }

    [Test]
    public async Task A_block_recorded_on_one_instance_denies_on_the_next_request_to_another()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(OtherDoctor);
        var otherOnSecond = Second.As(Tokens.Professional(OtherDoctor));
        for (var i = 0; i < 2; i++)
        {
            Assert.That((await otherOnSecond.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.OK),
                "arrange: the second instance has decided (and cached) the record's directives");
        }

        await asPatient.CreatedAsync(ConsentBuilder.For(patient).Blocking(OtherDoctor).Build());

        Assert.That((await otherOnSecond.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task A_permit_revoked_on_one_instance_denies_on_the_next_request_to_another()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();
        var permit = await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(OtherDoctor).Build());
        var otherOnSecond = Second.As(Tokens.Professional(OtherDoctor));
        Assert.That((await otherOnSecond.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.OK), "arrange: cached on the second instance");

        permit.Status = Consent.ConsentState.Inactive;
        Assert.That((await asPatient.UpdateAsync(permit)).Status, Is.EqualTo(HttpStatusCode.OK), "arrange: the patient revokes the permit on the first instance");

        Assert.That((await otherOnSecond.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task A_page_token_issued_by_one_instance_is_honoured_by_another()
    {
        var patient = await CreatePatientAsync();
        for (var i = 0; i < 3; i++)
        {
            await Fhir.CreatedAsync(AllergyBuilder.For(patient).Build());
        }

        var first = await Fhir.SearchBundleAsync("AllergyIntolerance", $"patient={patient.Id}&_count=2");
        var page = await Second.GetAsync(first.LinkUrl("next"));

        Assert.That(page.Status, Is.EqualTo(HttpStatusCode.OK), page.ToString());
        Assert.That(page.Resource<Bundle>().Entry.Select(e => e.Resource).OfType<AllergyIntolerance>().Count(), Is.EqualTo(1));
    }

    [Test]
    public async Task The_first_access_notification_is_written_once_when_two_instances_serve_the_first_accesses_at_once()
    {
        var (patient, ins, asPatient) = await RecordPermittingAsync(OtherDoctor);
        var onFirst = Fhir.As(Tokens.Professional(OtherDoctor));
        var onSecond = Second.As(Tokens.Professional(OtherDoctor));

        var reads = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? onFirst : onSecond).GetAsync($"fhir/Patient/{patient.Id}")));

        Assert.That(reads.Select(r => r.Status), Is.All.EqualTo(HttpStatusCode.OK));
        var notifications = await asPatient.SearchBundleAsync("Communication", $"patient=Patient/{patient.Id}&_count=100");
        var aboutOther = notifications.Entry.Select(e => e.Resource).OfType<Communication>()
            .Count(c => (c.Payload.Single().Content as FhirString)?.Value?.Contains(OtherDoctor, StringComparison.Ordinal) == true);
        Assert.That(aboutOther, Is.EqualTo(1), $"one first-access notification for {ins}'s record");
    }
}
