using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// A record's directives are reused across requests only while the record's version stamp is unchanged
/// (Access/RecordDirectivesCache): every change to its Patient or Consents takes effect on the next request. Each test
/// reads twice first, so that the record's directives are cached when the change lands.
/// </summary>
public sealed class RecordDirectivesCacheTests(TestStore store) : StoreFixture(store)
{
    private const string OtherDoctor = "810004444444";

    [Test]
    public async Task A_deleted_permit_takes_effect_on_the_next_request()
    {
        var (patient, asPatient) = await RecordAsync();
        var permit = await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(OtherDoctor).Build());
        await ReadTwiceAsync(patient, HttpStatusCode.OK);

        Assert.That((await asPatient.DeleteAsync($"fhir/Consent/{permit.Id}")).Status, Is.EqualTo(HttpStatusCode.NoContent).Or.EqualTo(HttpStatusCode.OK), "arrange: the patient deletes the permit");

        Assert.That((await AsOther.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task A_block_recorded_after_cached_reads_takes_effect_on_the_next_request()
    {
        var (patient, asPatient) = await RecordAsync();
        await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(OtherDoctor).Build());
        await ReadTwiceAsync(patient, HttpStatusCode.OK);

        await asPatient.CreatedAsync(ConsentBuilder.For(patient).Blocking(OtherDoctor).Build());

        Assert.That((await AsOther.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task A_permit_recorded_after_cached_denials_takes_effect_on_the_next_request()
    {
        var (patient, asPatient) = await RecordAsync();
        await ReadTwiceAsync(patient, HttpStatusCode.Forbidden);

        await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(OtherDoctor).Build());

        Assert.That((await AsOther.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Closing_the_record_takes_effect_on_the_next_request()
    {
        var (patient, asPatient) = await RecordAsync();
        await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(OtherDoctor).Build());
        await ReadTwiceAsync(patient, HttpStatusCode.OK);

        patient.Active = false;
        Assert.That((await asPatient.UpdateAsync(patient)).Status, Is.EqualTo(HttpStatusCode.OK), "arrange: the patient closes the record");

        Assert.That((await AsOther.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task A_permit_on_one_record_says_nothing_of_another()
    {
        var (permitted, asPatient) = await RecordAsync();
        var (other, _) = await RecordAsync();
        await asPatient.CreatedAsync(ConsentBuilder.For(permitted).Permitting(OtherDoctor).Build());
        await ReadTwiceAsync(permitted, HttpStatusCode.OK);

        Assert.That((await AsOther.GetAsync($"fhir/Patient/{other.Id}")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task A_block_recorded_after_cached_searches_takes_effect_on_the_next_search()
    {
        // A page read together with the record's stamp (issue 12) stands only while the stamp is the cached one.
        var (patient, asPatient) = await RecordAsync();
        await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(OtherDoctor).Build());
        await Fhir.CreatedAsync(DocumentBuilder.For(patient).Build());
        for (var i = 0; i < 2; i++)
        {
            Assert.That((await AsOther.SearchBundleAsync("DocumentReference", $"patient={patient.Id}")).Entry, Has.Count.EqualTo(1), "arrange: the other doctor searches the record");
        }

        await asPatient.CreatedAsync(ConsentBuilder.For(patient).Blocking(OtherDoctor).Build());

        Assert.That((await AsOther.SearchAsync("DocumentReference", $"patient={patient.Id}")).Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task A_document_masked_after_cached_reads_is_absent_on_the_next_read()
    {
        // A read by id judges the row it reads with the record's cached decision: the row's own labels are never cached.
        var (patient, asPatient) = await RecordAsync();
        await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(OtherDoctor).Build());
        var document = await Fhir.CreatedAsync(DocumentBuilder.For(patient).Build());
        await ReadTwiceAsync(patient, HttpStatusCode.OK);
        Assert.That((await AsOther.GetAsync($"fhir/DocumentReference/{document.Id}")).Status, Is.EqualTo(HttpStatusCode.OK), "arrange: the other doctor reads the document");

        Assert.That((await asPatient.PatchAsync($"fhir/DocumentReference/{document.Id}", JsonPatches.Mask)).Status, Is.EqualTo(HttpStatusCode.OK), "arrange: the patient masks the document");

        Assert.That((await AsOther.GetAsync($"fhir/DocumentReference/{document.Id}")).Status, Is.EqualTo(HttpStatusCode.NotFound));
    }

    private FhirHttp AsOther => Fhir.As(Tokens.Professional(OtherDoctor));

    private async Task<(Patient Patient, FhirHttp AsPatient)> RecordAsync()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        return (patient, Fhir.As(Tokens.Patient(builder.Ins!)));
    }

    private async Task ReadTwiceAsync(Patient patient, HttpStatusCode expected)
    {
        for (var i = 0; i < 2; i++)
        {
            Assert.That((await AsOther.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(expected), "arrange: the other doctor reads the record");
        }
    }
}
