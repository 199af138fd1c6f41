using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>create, read, vread, update, delete and history (FHIR R4 §3.1.0, DESIGN §4 "Interactions", "Versioning").</summary>
public sealed class ResourceInteractionTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task Create_answers_201_with_Location_ETag_Last_Modified_and_version_1()
    {
        var patient = new PatientBuilder().Build();

        var response = await Fhir.CreateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Created), response.ToString());
        var created = response.Resource<Patient>();
        Assert.Multiple(() =>
        {
            Assert.That(created.Id, Is.Not.Empty);
            Assert.That(created.Meta?.VersionId, Is.EqualTo("1"));
            Assert.That(created.Meta?.LastUpdated, Is.Not.Null);
            Assert.That(response.Location?.ToString(), Is.EqualTo($"http://localhost/fhir/Patient/{created.Id}/_history/1"));
            Assert.That(response.ETag, Is.EqualTo("W/\"1\""));
            Assert.That(response.ContentHeaders.LastModified, Is.EqualTo(TruncateToSeconds(created.Meta!.LastUpdated!.Value)));
            Assert.That(response.MediaType, Is.EqualTo(FhirHttp.Json));
        });
    }

    [Test]
    public async Task Create_assigns_its_own_id_whatever_the_body_says()
    {
        var patient = new PatientBuilder().Build();
        patient.Id = "chosen-by-client";

        var created = await Fhir.CreatedAsync(patient);

        Assert.That(created.Id, Is.Not.EqualTo("chosen-by-client"));
    }

    [Test]
    public async Task Read_returns_the_stored_resource_with_its_ETag()
    {
        var created = await CreatePatientAsync(new PatientBuilder().Named("Lefèvre", "Anne"));

        var response = await Fhir.GetAsync($"fhir/Patient/{created.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var read = response.Resource<Patient>();
        Assert.Multiple(() =>
        {
            Assert.That(read.Id, Is.EqualTo(created.Id));
            Assert.That(read.Name.Single().Family, Is.EqualTo("Lefèvre"));
            Assert.That(read.Meta?.VersionId, Is.EqualTo("1"));
            Assert.That(response.ETag, Is.EqualTo("W/\"1\""));
            Assert.That(response.ContentHeaders.LastModified, Is.Not.Null);
        });
    }

    [Test]
    public async Task Reading_an_unknown_id_answers_404_with_an_OperationOutcome()
    {
        var response = await Fhir.GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), response.ToString());
        Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.NotFound));
    }

    [Test]
    public async Task Vread_returns_the_requested_version()
    {
        var builder = new PatientBuilder().Named("Avant");
        var created = await CreatePatientAsync(builder);
        created.Name = [new HumanName { Family = "Après" }];
        await Fhir.As(Tokens.Patient(builder.Ins!)).UpdateAsync(created);

        var response = await Fhir.GetAsync($"fhir/Patient/{created.Id}/_history/1");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var version1 = response.Resource<Patient>();
        Assert.Multiple(() =>
        {
            Assert.That(version1.Meta?.VersionId, Is.EqualTo("1"));
            Assert.That(version1.Name.Single().Family, Is.EqualTo("Avant"));
            Assert.That(response.ETag, Is.EqualTo("W/\"1\""));
        });
    }

    [TestCase("2")]
    [TestCase("abc")]
    public async Task Vread_of_a_version_that_does_not_exist_answers_404(string version)
    {
        var created = await CreatePatientAsync();

        var response = await Fhir.GetAsync($"fhir/Patient/{created.Id}/_history/{version}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), response.ToString());
        Assert.That(response.Outcome.Issue, Is.Not.Empty);
    }

    [Test]
    public async Task Update_with_the_current_If_Match_answers_200_with_version_2()
    {
        var builder = new PatientBuilder().Named("Durand");
        var created = await CreatePatientAsync(builder);
        // The name is an identity element: the patient changes it (DMP-RULES §3).
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        created.Name = [new HumanName { Family = "Durand-Petit" }];

        var response = await asPatient.UpdateAsync(created, r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"1\""));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var updated = response.Resource<Patient>();
        Assert.Multiple(() =>
        {
            Assert.That(updated.Meta?.VersionId, Is.EqualTo("2"));
            Assert.That(updated.Name.Single().Family, Is.EqualTo("Durand-Petit"));
            Assert.That(response.ETag, Is.EqualTo("W/\"2\""));
            Assert.That(response.Location?.ToString(), Is.EqualTo($"http://localhost/fhir/Patient/{created.Id}/_history/2"));
        });
    }

    [Test]
    public async Task A_read_after_an_update_returns_the_new_version()
    {
        var builder = new PatientBuilder().Named("Durand");
        var created = await CreatePatientAsync(builder);
        // The name is an identity element: the patient changes it (DMP-RULES §3).
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        created.Name = [new HumanName { Family = "Durand-Petit" }];
        await asPatient.UpdateAsync(created);

        var read = (await Fhir.GetAsync($"fhir/Patient/{created.Id}")).Resource<Patient>();

        Assert.Multiple(() =>
        {
            Assert.That(read.Meta?.VersionId, Is.EqualTo("2"));
            Assert.That(read.Name.Single().Family, Is.EqualTo("Durand-Petit"));
        });
    }

    [Test]
    public async Task Update_with_a_stale_If_Match_answers_412_and_changes_nothing()
    {
        var builder = new PatientBuilder().Named("Original");
        var created = await CreatePatientAsync(builder);
        // The name is an identity element: the patient changes it (DMP-RULES §3).
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        created.Name = [new HumanName { Family = "First change" }];
        await asPatient.UpdateAsync(created);
        created.Name = [new HumanName { Family = "Lost update" }];

        var response = await asPatient.UpdateAsync(created, r => r.Headers.TryAddWithoutValidation("If-Match", "W/\"1\""));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.PreconditionFailed), response.ToString());
        var current = (await Fhir.GetAsync($"fhir/Patient/{created.Id}")).Resource<Patient>();
        Assert.That(current.Name.Single().Family, Is.EqualTo("First change"));
    }

    [TestCase("abc")]
    [TestCase("W/\"x\"")]
    [TestCase("W/\"0\"")]
    public async Task Update_with_a_malformed_If_Match_answers_400(string ifMatch)
    {
        var created = await CreatePatientAsync();

        var response = await Fhir.UpdateAsync(created, r => r.Headers.TryAddWithoutValidation("If-Match", ifMatch));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Outcome.Issue, Is.Not.Empty);
    }

    [Test]
    public async Task Update_whose_body_id_differs_from_the_url_answers_400()
    {
        var created = await CreatePatientAsync();
        var other = new PatientBuilder().Build();
        other.Id = "another-id";

        var response = await Fhir.SendAsync(HttpMethod.Put, $"fhir/Patient/{created.Id}", FhirHttp.JsonContent(other), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("id"));
    }

    [Test]
    public async Task Update_whose_body_has_no_id_answers_400()
    {
        var created = await CreatePatientAsync();
        var body = new PatientBuilder().Build();

        var response = await Fhir.SendAsync(HttpMethod.Put, $"fhir/Patient/{created.Id}", FhirHttp.JsonContent(body), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
    }

    [Test]
    public async Task Update_of_an_unknown_id_answers_404()
    {
        var patient = new PatientBuilder().Build();
        patient.Id = Guid.NewGuid().ToString("N");

        var response = await Fhir.UpdateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), response.ToString());
    }

    [Test]
    public async Task Creating_a_resource_of_another_type_than_the_endpoint_answers_400()
    {
        var patient = await CreatePatientAsync();
        var allergy = AllergyBuilder.For(patient).Build();

        var response = await Fhir.SendAsync(HttpMethod.Post, "fhir/Patient", FhirHttp.JsonContent(allergy), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("AllergyIntolerance"));
    }

    [Test]
    public async Task Creating_an_allergy_for_an_unknown_patient_answers_422_naming_its_reference()
    {
        var allergy = AllergyBuilder.For(Guid.NewGuid().ToString("N")).Build();

        var response = await Fhir.CreateAsync(allergy);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("AllergyIntolerance.patient does not name a known Patient"));
    }

    [Test]
    public async Task Creating_an_allergy_whose_patient_reference_names_another_resource_answers_422()
    {
        var patient = await CreatePatientAsync();
        var other = await Fhir.CreatedAsync(AllergyBuilder.For(patient).Build());

        var response = await Fhir.CreateAsync(AllergyBuilder.For(other.Id!).Build());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("does not name a known Patient"));
    }

    [Test]
    public async Task Updating_with_a_resource_of_another_type_than_the_endpoint_answers_400()
    {
        var patient = await CreatePatientAsync();
        var allergy = AllergyBuilder.For(patient).Build();
        allergy.Id = patient.Id;

        var response = await Fhir.SendAsync(HttpMethod.Put, $"fhir/Patient/{patient.Id}", FhirHttp.JsonContent(allergy), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
    }

    [Test]
    public async Task Delete_answers_204()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var response = await Fhir.DeleteAsync($"fhir/DocumentReference/{document.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NoContent), response.ToString());
    }

    // A document's deletion is PDSm's logical deletion (404 to everyone): tests/DmpApi.Tests/Integration/DocumentDeletionTests.cs.
    [Test]
    public async Task Reading_a_deleted_allergy_answers_410_Gone()
    {
        var patient = await CreatePatientAsync();
        var document = await Fhir.CreatedAsync(AllergyBuilder.For(patient).Build());
        await Fhir.DeleteAsync($"fhir/AllergyIntolerance/{document.Id}");

        var response = await Fhir.GetAsync($"fhir/AllergyIntolerance/{document.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Gone), response.ToString());
        Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.Deleted));
    }

    [Test]
    public async Task Deleting_a_deleted_resource_again_answers_204_and_adds_no_version()
    {
        var patient = await CreatePatientAsync();
        var document = await Fhir.CreatedAsync(AllergyBuilder.For(patient).Build());
        await Fhir.DeleteAsync($"fhir/AllergyIntolerance/{document.Id}");

        var response = await Fhir.DeleteAsync($"fhir/AllergyIntolerance/{document.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NoContent), response.ToString());
        var history = (await Fhir.GetAsync($"fhir/AllergyIntolerance/{document.Id}/_history")).Resource<Bundle>();
        Assert.That(history.Entry, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Deleting_an_unknown_id_answers_404()
    {
        var response = await Fhir.DeleteAsync($"fhir/DocumentReference/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), response.ToString());
    }

    [Test]
    public async Task History_of_a_deleted_allergy_still_lists_every_version()
    {
        var patient = await CreatePatientAsync();
        var document = await Fhir.CreatedAsync(AllergyBuilder.For(patient).Build());
        document.Criticality = AllergyIntolerance.AllergyIntoleranceCriticality.High;
        Assert.That((await Fhir.UpdateAsync(document)).Status, Is.EqualTo(HttpStatusCode.OK), "arrange: a second version");
        await Fhir.DeleteAsync($"fhir/AllergyIntolerance/{document.Id}");

        var response = await Fhir.GetAsync($"fhir/AllergyIntolerance/{document.Id}/_history");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var history = response.Resource<Bundle>();
        Assert.Multiple(() =>
        {
            Assert.That(history.Entry.Select(e => e.Response?.Etag), Is.EqualTo(new[] { "W/\"3\"", "W/\"2\"", "W/\"1\"" }));
            Assert.That(history.Entry[0].Request?.Method, Is.EqualTo(Bundle.HTTPVerb.DELETE));
            Assert.That(history.Entry[0].Resource, Is.Null);
        });
    }

    [Test]
    public async Task Vread_of_an_old_version_still_works_after_delete()
    {
        var patient = await CreatePatientAsync();
        var document = await Fhir.CreatedAsync(AllergyBuilder.For(patient).Build());
        await Fhir.DeleteAsync($"fhir/AllergyIntolerance/{document.Id}");

        var response = await Fhir.GetAsync($"fhir/AllergyIntolerance/{document.Id}/_history/1");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That(response.Resource<AllergyIntolerance>().Id, Is.EqualTo(document.Id));
    }

    [Test]
    public async Task Vread_of_the_deletion_version_answers_410()
    {
        var patient = await CreatePatientAsync();
        var document = await Fhir.CreatedAsync(AllergyBuilder.For(patient).Build());
        await Fhir.DeleteAsync($"fhir/AllergyIntolerance/{document.Id}");

        var response = await Fhir.GetAsync($"fhir/AllergyIntolerance/{document.Id}/_history/2");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Gone), response.ToString());
    }

    [Test]
    public async Task Instance_history_is_a_history_Bundle_newest_first()
    {
        var builder = new PatientBuilder().Named("V1");
        var created = await CreatePatientAsync(builder);
        // The name is an identity element: the patient changes it (DMP-RULES §3).
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        created.Name = [new HumanName { Family = "V2" }];
        await asPatient.UpdateAsync(created);
        created.Name = [new HumanName { Family = "V3" }];
        await asPatient.UpdateAsync(created);

        var response = await Fhir.GetAsync($"fhir/Patient/{created.Id}/_history");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var history = response.Resource<Bundle>();
        Assert.Multiple(() =>
        {
            Assert.That(history.Type, Is.EqualTo(Bundle.BundleType.History));
            Assert.That(history.Total, Is.EqualTo(3));
            Assert.That(history.Entry.Select(e => e.Resource?.Meta?.VersionId), Is.EqualTo(new[] { "3", "2", "1" }));
            Assert.That(history.Entry.Select(e => (e.Resource as Patient)?.Name.Single().Family), Is.EqualTo(new[] { "V3", "V2", "V1" }));
            Assert.That(history.Entry.Select(e => e.Request?.Method), Is.EqualTo(new Bundle.HTTPVerb?[] { Bundle.HTTPVerb.PUT, Bundle.HTTPVerb.PUT, Bundle.HTTPVerb.POST }));
        });
    }

    [Test]
    public async Task History_of_an_unknown_id_answers_404()
    {
        var response = await Fhir.GetAsync($"fhir/Patient/{Guid.NewGuid():N}/_history");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), response.ToString());
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset value) =>
        new(value.UtcTicks - value.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
}
