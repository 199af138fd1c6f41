using System.Net;
using DmpApi.Patients;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>The Patient is the record, identified by its INS: one record per INS (DMP-RULES §1, DESIGN §4).</summary>
public sealed class PatientTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task An_INS_with_a_wrong_key_answers_422_naming_the_key()
    {
        var patient = new PatientBuilder().WithIns(TestIns.WithWrongKey(TestIns.New())).Build();

        var response = await Fhir.CreateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("key"));
    }

    [Test]
    public async Task An_INS_of_the_wrong_length_answers_422()
    {
        var patient = new PatientBuilder().WithIns(TestIns.New()[..14]).Build();

        var response = await Fhir.CreateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("15"));
    }

    [TestCase("2A")]
    [TestCase("2B")]
    public async Task A_Corsican_INS_with_the_right_key_is_accepted(string department)
    {
        var ins = TestIns.Corsican(department);
        var patient = new PatientBuilder().WithIns(ins).Build();

        var response = await Fhir.CreateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Created), response.ToString());
        Assert.That(response.Resource<Patient>().Identifier.Single().Value, Is.EqualTo(ins));
    }

    [TestCase("2A")]
    [TestCase("2B")]
    public async Task A_Corsican_INS_with_a_wrong_key_answers_422(string department)
    {
        var patient = new PatientBuilder().WithIns(TestIns.WithWrongKey(TestIns.Corsican(department))).Build();

        var response = await Fhir.CreateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
    }

    [Test]
    public async Task An_INS_written_with_spaces_is_stored_without_them()
    {
        var ins = TestIns.New();
        var spaced = $"{ins[..1]} {ins[1..3]} {ins[3..5]} {ins[5..7]} {ins[7..10]} {ins[10..13]} {ins[13..]}";

        var created = await Fhir.CreatedAsync(new PatientBuilder().WithIns(spaced).Build());

        Assert.That(created.Identifier.Single().Value, Is.EqualTo(ins));
    }

    [Test]
    public async Task A_Patient_without_INS_answers_422()
    {
        var patient = new PatientBuilder().WithoutIns().Build();

        var response = await Fhir.CreateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain(Ins.NirSystem));
    }

    [Test]
    public async Task A_Patient_with_only_a_non_INS_identifier_answers_422()
    {
        var patient = new PatientBuilder().WithoutIns().Build();
        patient.Identifier.Add(new Identifier("urn:oid:1.2.250.1.71.4.2.7", "123456"));

        var response = await Fhir.CreateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
    }

    [Test]
    public async Task A_Patient_with_an_INS_NIA_is_accepted()
    {
        var patient = new PatientBuilder().WithIns("NIA" + Guid.NewGuid().ToString("N")[..12], Ins.NiaSystem).Build();

        var response = await Fhir.CreateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Created), response.ToString());
    }

    [Test]
    public async Task A_second_Patient_with_the_same_INS_answers_409()
    {
        var builder = new PatientBuilder();
        await CreatePatientAsync(builder);

        var response = await Fhir.CreateAsync(builder.Build());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Conflict), response.ToString());
        Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.Duplicate));
    }

    [Test]
    public async Task Updating_a_Patient_to_another_records_INS_answers_409()
    {
        var first = await CreatePatientAsync();
        var secondBuilder = new PatientBuilder();
        var second = await CreatePatientAsync(secondBuilder);
        second.Identifier = [new Identifier(Ins.NirSystem, first.Identifier.Single().Value)];

        // The INS is an identity element: only the patient changes it (DMP-RULES §3).
        var response = await Fhir.As(Tokens.Patient(secondBuilder.Ins!)).UpdateAsync(second);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Conflict), response.ToString());
    }

    [Test]
    public async Task Conditional_create_of_an_existing_INS_answers_200_with_the_existing_Patient()
    {
        var builder = new PatientBuilder();
        var existing = await CreatePatientAsync(builder);

        var response = await Fhir.CreateAsync(builder.Build(), IfNoneExist(builder.Ins!));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var returned = response.Resource<Patient>();
        Assert.Multiple(() =>
        {
            Assert.That(returned.Id, Is.EqualTo(existing.Id));
            Assert.That(returned.Meta?.VersionId, Is.EqualTo("1"));
        });
    }

    [Test]
    public async Task Conditional_create_of_a_new_INS_answers_201()
    {
        var builder = new PatientBuilder();

        var response = await Fhir.CreateAsync(builder.Build(), IfNoneExist(builder.Ins!));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Created), response.ToString());
    }

    [Test]
    public async Task Conditional_create_matching_several_Patients_answers_412()
    {
        var anne = await CreatePatientAsync();
        var paul = await CreatePatientAsync();

        var response = await Fhir.CreateAsync(new PatientBuilder().Build(),
            r => r.Headers.TryAddWithoutValidation("If-None-Exist", $"_id={anne.Id},{paul.Id}"));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.PreconditionFailed), response.ToString());
        Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.MultipleMatches));
    }

    [Test]
    public async Task Conditional_create_with_an_unknown_parameter_answers_400()
    {
        var response = await Fhir.CreateAsync(new PatientBuilder().Build(), r => r.Headers.TryAddWithoutValidation("If-None-Exist", "no-such-parameter=1"));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
    }

    [Test]
    public async Task Concurrent_conditional_creates_of_one_INS_leave_exactly_one_Patient()
    {
        var builder = new PatientBuilder();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Fhir.CreateAsync(builder.Build(), IfNoneExist(builder.Ins!))));

        var bundle = await Fhir.SearchBundleAsync("Patient", $"identifier={Uri.EscapeDataString($"{Ins.NirSystem}|{builder.Ins}")}&_total=accurate");
        Assert.Multiple(() =>
        {
            Assert.That(responses.Select(r => r.Status), Is.All.AnyOf(HttpStatusCode.Created, HttpStatusCode.OK), string.Join("\n", responses.Select(r => r.ToString())));
            Assert.That(responses.Count(r => r.Status == HttpStatusCode.Created), Is.EqualTo(1));
            Assert.That(responses.Where(r => r.Status is HttpStatusCode.Created or HttpStatusCode.OK).Select(r => r.Resource<Patient>().Id).Distinct().Count(), Is.EqualTo(1));
            Assert.That(bundle.Total, Is.EqualTo(1));
            Assert.That(bundle.Entry.Count(e => e.Search?.Mode == Bundle.SearchEntryMode.Match), Is.EqualTo(1));
        });
    }

    private static Action<HttpRequestMessage> IfNoneExist(string ins) =>
        r => r.Headers.TryAddWithoutValidation("If-None-Exist", $"identifier={Ins.NirSystem}|{ins}");
}
