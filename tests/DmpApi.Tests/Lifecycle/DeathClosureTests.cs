using System.Net;
using DmpApi.Lifecycle;
using DmpApi.Patients;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Lifecycle;

/// <summary>
/// Closure on a recorded death (issue 14): a system granted the death-record right (the INSi / état-civil feed) records
/// the death by PATCH without reading the record — deceased, active false and the death motif — and changes nothing
/// else; the holder does not reopen such a record; the ten-year retention runs from that closure as from any other.
/// </summary>
public sealed class DeathClosureTests(TestStore store) : StoreFixture(store)
{
    private const string FeedBase = "https://dmp.example/fhir";

    private readonly TestClock _clock = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? Clock => _clock;

    private FhirHttp AsDeathFeed => Fhir.As(SystemTokens.Feed(SystemTokens.DeathFeed));

    /// <summary>The death as the feed sends it: a FHIRPath Patch of the three things it records, nothing read first.</summary>
    private static Parameters DeathPatch()
    {
        var patch = new Parameters();
        patch.AddAddPatchParameter("Patient", "deceased", new FhirDateTime("2026-11-30"));
        patch.AddReplacePatchParameter("Patient.active", new FhirBoolean(false));
        var motif = RecordClosure.DeathMotif(FeedBase);
        return patch.AddExtension("Patient", motif.Url!, "valueCoding", motif.Value!);
    }

    /// <summary>The same death as a JSON Patch (RFC 6902); `add` sets a member whether or not it is there.</summary>
    private const string DeathJsonPatch =
        "[{\"op\":\"add\",\"path\":\"/deceasedDateTime\",\"value\":\"2026-11-30\"},{\"op\":\"add\",\"path\":\"/active\",\"value\":false},"
        + "{\"op\":\"add\",\"path\":\"/extension\",\"value\":[{\"url\":\"" + FeedBase + RecordClosure.MotifName + "\",\"valueCoding\":{\"system\":\""
        + FeedBase + RecordClosure.OwnMotifSystemName + "\",\"code\":\"" + RecordClosure.ClosedOnDeath + "\"}}]}]";

    private static Task<FhirResponse> PatchAsync(FhirHttp client, string? patientId, Parameters patch, Action<HttpRequestMessage>? configure = null) =>
        client.SendAsync(HttpMethod.Patch, $"fhir/Patient/{patientId}", FhirHttp.JsonContent(patch), configure);

    private async Task<(Patient Stored, FhirHttp AsPatient)> OpenRecordAsync()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(Tokens.DoctorIdNatPs);
        var stored = (await asPatient.GetAsync($"fhir/Patient/{patient.Id}")).Resource<Patient>();
        Assert.That(stored.Id, Is.Not.Null, "Arrange: the record is open");
        return (stored, asPatient);
    }

    private static async Task<Patient> ReadAsync(FhirHttp asPatient, string? id) => (await asPatient.GetAsync($"fhir/Patient/{id}")).Resource<Patient>();

    [Test]
    public async Task A_death_feed_records_a_death_by_patch_without_reading_the_record()
    {
        var (stored, asPatient) = await OpenRecordAsync();

        var response = await PatchAsync(AsDeathFeed, stored.Id, DeathPatch());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var closed = await ReadAsync(asPatient, stored.Id);
        Assert.Multiple(() =>
        {
            Assert.That(response.Resource<Resource>(), Is.InstanceOf<OperationOutcome>(), "the feed, which reads nothing, is not answered with the Patient");
            Assert.That(response.ToString(), Does.Not.Contain(stored.Name[0].Family), "nothing of the record comes back");
            Assert.That(closed.Active, Is.False);
            Assert.That(closed.Deceased, Is.EqualTo(new FhirDateTime("2026-11-30")).Using<DataType>((a, b) => a.IsExactly(b)));
            Assert.That(RecordClosure.IsClosedOnDeath(closed), Is.True, "the death motif is recorded");
            Assert.That(RecordClosure.ClosedOn(closed), Is.Not.Null, "the server records the closure date");
            Assert.That(closed.Name[0].Family, Is.EqualTo(stored.Name[0].Family), "the rest of the Patient stays as stored");
        });
    }

    [TestCase("FHIRPath Patch in JSON")]
    [TestCase("FHIRPath Patch in XML")]
    [TestCase("JSON Patch")]
    public async Task A_death_feed_patch_is_taken_in_each_patch_format(string format)
    {
        var (stored, asPatient) = await OpenRecordAsync();
        var body = format switch
        {
            "FHIRPath Patch in JSON" => FhirHttp.JsonContent(DeathPatch()),
            "FHIRPath Patch in XML" => FhirHttp.XmlContent(DeathPatch()),
            _ => FhirHttp.Body(DeathJsonPatch, "application/json-patch+json"),
        };

        var response = await AsDeathFeed.SendAsync(HttpMethod.Patch, $"fhir/Patient/{stored.Id}", body, null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That(RecordClosure.IsClosedOnDeath(await ReadAsync(asPatient, stored.Id)), Is.True);
    }

    [Test]
    public async Task A_death_feed_asking_for_a_minimal_answer_gets_no_body()
    {
        var (stored, _) = await OpenRecordAsync();

        var response = await PatchAsync(AsDeathFeed, stored.Id, DeathPatch(), r => r.Headers.Add("Prefer", "return=minimal"));

        Assert.Multiple(() =>
        {
            Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
            Assert.That(response.Body, Is.Empty);
        });
    }

    [TestCase("name", """{"op":"add","path":"/name","value":[{"family":"AUTRE"}]}""")]
    [TestCase("address", """{"op":"add","path":"/address","value":[{"city":"Lyon"}]}""")]
    [TestCase("birthDate", """{"op":"add","path":"/birthDate","value":"1950-01-01"}""")]
    public async Task A_death_feed_patch_that_changes_anything_else_is_refused_naming_the_element(string element, string operation)
    {
        var (stored, asPatient) = await OpenRecordAsync();
        var patch = DeathJsonPatch.TrimEnd().TrimEnd(']') + "," + operation + "]";

        var response = await AsDeathFeed.PatchAsync($"fhir/Patient/{stored.Id}", patch);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That(response.ToString(), Does.Contain(element));
        Assert.That((await ReadAsync(asPatient, stored.Id)).Active, Is.Not.False, "nothing was written");
    }

    [Test]
    public async Task A_death_feed_patch_cannot_test_what_it_does_not_read()
    {
        var (stored, asPatient) = await OpenRecordAsync();
        var testingTheName = $$"""[{"op":"test","path":"/name/0/family","value":"{{stored.Name[0].Family}}"},""" + DeathJsonPatch.TrimStart().TrimStart('[');

        var response = await AsDeathFeed.PatchAsync($"fhir/Patient/{stored.Id}", testingTheName);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), "the patch sees no name, even the right one: " + response);
        Assert.That((await ReadAsync(asPatient, stored.Id)).Active, Is.Not.False, "nothing was written");
    }

    [Test]
    public async Task A_death_feed_patch_that_records_no_death_is_refused()
    {
        var (stored, asPatient) = await OpenRecordAsync();
        var closesOnly = new Parameters();
        closesOnly.AddReplacePatchParameter("Patient.active", new FhirBoolean(false));

        var response = await PatchAsync(AsDeathFeed, stored.Id, closesOnly);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That((await ReadAsync(asPatient, stored.Id)).Active, Is.Not.False, "nothing was written");
    }

    [Test]
    public async Task A_death_feed_patch_honours_If_Match()
    {
        var (stored, asPatient) = await OpenRecordAsync();

        var stale = await PatchAsync(AsDeathFeed, stored.Id, DeathPatch(), r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"99\""));

        Assert.That(stale.Status, Is.EqualTo(HttpStatusCode.PreconditionFailed), stale.ToString());
        Assert.That((await ReadAsync(asPatient, stored.Id)).Active, Is.Not.False, "nothing was written");
    }

    [Test]
    public async Task A_death_feed_patch_of_no_such_record_answers_404()
    {
        var response = await PatchAsync(AsDeathFeed, "no-such-record", DeathPatch());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), response.ToString());
    }

    [Test]
    public async Task A_death_feed_does_not_update_by_put_as_it_reads_nothing()
    {
        var (stored, asPatient) = await OpenRecordAsync();
        var dead = (Patient)stored.DeepCopy();
        dead.Deceased = new FhirDateTime("2026-11-30");
        dead.Active = false;
        dead.Extension.Add(RecordClosure.DeathMotif(FeedBase));

        var response = await AsDeathFeed.UpdateAsync(dead);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That((await ReadAsync(asPatient, stored.Id)).Active, Is.Not.False, "the record stays open");
    }

    [Test]
    public async Task A_system_without_the_death_right_cannot_close_a_record()
    {
        var (stored, asPatient) = await OpenRecordAsync();

        var response = await PatchAsync(Fhir.As(SystemTokens.Feed()), stored.Id, DeathPatch());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That((await ReadAsync(asPatient, stored.Id)).Active, Is.Not.False, "the record stays open");
    }

    [Test]
    public async Task Neither_a_professional_nor_the_patient_records_a_death_closure()
    {
        var (stored, asPatient) = await OpenRecordAsync();

        var byDoctor = await PatchAsync(Fhir, stored.Id, DeathPatch());
        var byPatient = await PatchAsync(asPatient, stored.Id, DeathPatch());

        Assert.Multiple(() =>
        {
            Assert.That(byDoctor.Status, Is.EqualTo(HttpStatusCode.Forbidden), byDoctor.ToString());
            Assert.That(byPatient.Status, Is.EqualTo(HttpStatusCode.Forbidden), byPatient.ToString());
        });
    }

    [Test]
    public async Task The_holder_closes_and_reopens_the_record_by_patch()
    {
        var (stored, asPatient) = await OpenRecordAsync();
        var close = new Parameters();
        close.AddReplacePatchParameter("Patient.active", new FhirBoolean(false));

        var closing = await PatchAsync(asPatient, stored.Id, close);
        var reopening = await asPatient.PatchAsync($"fhir/Patient/{stored.Id}", """[{"op":"replace","path":"/active","value":true}]""");

        Assert.Multiple(() =>
        {
            Assert.That(closing.Status, Is.EqualTo(HttpStatusCode.OK), closing.ToString());
            var closed = closing.Resource<Patient>();
            Assert.That(closed.Active, Is.False, "the holder gets their Patient back");
            Assert.That(closed.Extension.Single(e => e.Url?.EndsWith(RecordClosure.MotifName, StringComparison.Ordinal) == true).Value,
                Is.InstanceOf<Coding>().With.Property(nameof(Coding.Code)).EqualTo(RecordClosure.ClosedAtHoldersRequest));
            Assert.That(reopening.Status, Is.EqualTo(HttpStatusCode.OK), reopening.ToString());
            Assert.That(reopening.Resource<Patient>().Active, Is.True);
        });
    }

    [Test]
    public async Task A_professional_patches_the_record_as_the_table_lets_them()
    {
        var (stored, _) = await OpenRecordAsync();
        var rename = new Parameters();
        rename.AddReplacePatchParameter("Patient.name[0].family", new FhirString("AUTRE"));
        var close = new Parameters();
        close.AddReplacePatchParameter("Patient.active", new FhirBoolean(false));

        var renaming = await PatchAsync(Fhir, stored.Id, rename);
        var closing = await PatchAsync(Fhir, stored.Id, close);
        var phone = await Fhir.PatchAsync($"fhir/Patient/{stored.Id}", """[{"op":"add","path":"/telecom","value":[{"system":"phone","value":"0102030405"}]}]""");

        Assert.Multiple(() =>
        {
            Assert.That(renaming.Status, Is.EqualTo(HttpStatusCode.Forbidden), renaming.ToString());
            Assert.That(renaming.ToString(), Does.Contain("name"));
            Assert.That(closing.Status, Is.EqualTo(HttpStatusCode.Forbidden), closing.ToString());
            Assert.That(phone.Status, Is.EqualTo(HttpStatusCode.OK), phone.ToString());
            Assert.That(phone.Resource<Patient>().Telecom.Single().Value, Is.EqualTo("0102030405"));
        });
    }

    [Test]
    public async Task A_record_closed_on_a_death_is_not_reopened()
    {
        var (stored, asPatient) = await OpenRecordAsync();
        Assert.That((await PatchAsync(AsDeathFeed, stored.Id, DeathPatch())).Status, Is.EqualTo(HttpStatusCode.OK), "Arrange: the death is recorded");
        var closed = await ReadAsync(asPatient, stored.Id);
        closed.Active = true;
        closed.Deceased = null;
        closed.Extension.Clear();

        var reopening = await asPatient.UpdateAsync(closed);
        var reopeningByPatch = await asPatient.PatchAsync($"fhir/Patient/{stored.Id}", """[{"op":"replace","path":"/active","value":true}]""");

        Assert.Multiple(() =>
        {
            Assert.That(reopening.Status, Is.EqualTo(HttpStatusCode.Forbidden), reopening.ToString());
            Assert.That(reopening.ToString(), Does.Contain("death"));
            Assert.That(reopeningByPatch.Status, Is.EqualTo(HttpStatusCode.Forbidden), reopeningByPatch.ToString());
        });
        Assert.That((await ReadAsync(asPatient, stored.Id)).Active, Is.False, "the record stays closed");
    }

    [Test]
    public async Task A_death_on_a_record_its_holder_closed_is_recorded_and_the_record_stays_closed_from_its_first_closure()
    {
        var (stored, asPatient) = await OpenRecordAsync();
        var closing = await asPatient.PatchAsync($"fhir/Patient/{stored.Id}",
            $$"""[{"op":"add","path":"/active","value":false},{"op":"add","path":"/extension","value":[{"url":"{{FeedBase}}{{RecordClosure.ReasonName}}","valueString":"Je déménage"}]}]""");
        Assert.That(closing.Status, Is.EqualTo(HttpStatusCode.OK), "Arrange: the holder closes their record: " + closing);
        var closedOn = RecordClosure.ClosedOn(closing.Resource<Patient>());
        _clock.Advance(TimeSpan.FromDays(30));

        var death = await PatchAsync(AsDeathFeed, stored.Id, DeathPatch());
        var reopening = await asPatient.PatchAsync($"fhir/Patient/{stored.Id}", """[{"op":"replace","path":"/active","value":true}]""");

        var after = await ReadAsync(asPatient, stored.Id);
        Assert.Multiple(() =>
        {
            Assert.That(death.Status, Is.EqualTo(HttpStatusCode.OK), death.ToString());
            Assert.That(after.Deceased, Is.Not.Null, "the death is recorded");
            Assert.That(RecordClosure.IsClosedOnDeath(after), Is.True, "the motif is now the death");
            Assert.That(RecordClosure.ClosedOn(after), Is.EqualTo(closedOn), "the retention still runs from the holder's closure");
            Assert.That(after.Extension.Any(e => e.Url?.EndsWith(RecordClosure.ReasonName, StringComparison.Ordinal) == true), Is.True, "the holder's reason stays");
            Assert.That(reopening.Status, Is.EqualTo(HttpStatusCode.Forbidden), "the holder's reopening is now impossible: " + reopening);
        });
    }

    [Test]
    public async Task A_record_closed_on_a_death_is_purged_ten_years_after_the_closure()
    {
        var (stored, asPatient) = await OpenRecordAsync();
        Assert.That((await PatchAsync(AsDeathFeed, stored.Id, DeathPatch())).Status, Is.EqualTo(HttpStatusCode.OK), "Arrange: the death is recorded");
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
