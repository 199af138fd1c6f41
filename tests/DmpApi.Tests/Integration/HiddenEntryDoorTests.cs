using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// A health profile entry the patient hid (MASQUE_PS in meta.security, issue 15) cannot be seen or counted by another
/// professional through any door, for each entry type: each test plants one, recorded by the default médecin and hidden
/// afterwards by the patient, in a record the reader may read, beside a visible entry of the same type.
/// </summary>
public sealed class HiddenEntryDoorTests(TestStore store) : StoreFixture(store)
{
    private const string Reader = "810006100001";

    private static IEnumerable<string> Types => HealthProfileEntries.Types;

    private FhirHttp AsReader => Fhir.As(Tokens.Professional(Reader));

    private async Task<(Patient Patient, FhirHttp AsPatient, Resource Hidden, Resource Visible)> PlantedAsync(string type)
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(Reader);
        var visible = await Fhir.CreatedAsync(HealthProfileEntries.Of(type, patient));
        var recorded = await Fhir.CreatedAsync(HealthProfileEntries.Of(type, patient));
        var hiding = await asPatient.UpdateAsync(HealthProfileEntries.Hidden(recorded));
        Assert.That(hiding.Status, Is.EqualTo(HttpStatusCode.OK), $"Arrange: the patient hides the entry: {hiding}");
        return (patient, asPatient, hiding.Resource<Resource>(), visible);
    }

    [TestCaseSource(nameof(Types))]
    public async Task Search_total_and_count_leave_out_the_hidden_entry(string type)
    {
        var (patient, _, hidden, visible) = await PlantedAsync(type);
        var byPatient = type == "Immunization" ? "patient" : "subject";

        var search = await AsReader.SearchBundleAsync(type, $"{byPatient}={patient.Id}&_total=accurate");
        var count = await AsReader.SearchBundleAsync(type, $"{byPatient}={patient.Id}&_summary=count");
        var byId = await AsReader.SearchBundleAsync(type, $"{byPatient}={patient.Id}&_id={hidden.Id}&_total=accurate");

        Assert.Multiple(() =>
        {
            Assert.That(search.MatchIds(), Is.EqualTo(new[] { visible.Id }));
            Assert.That(search.Total, Is.EqualTo(1));
            Assert.That(count.Total, Is.EqualTo(1));
            Assert.That(byId.Total, Is.EqualTo(0));
        });
    }

    [TestCaseSource(nameof(Types))]
    public async Task Read_vread_of_every_version_and_history_answer_404_as_for_an_entry_that_does_not_exist(string type)
    {
        var (_, _, hidden, _) = await PlantedAsync(type);

        var read = await AsReader.GetAsync($"fhir/{type}/{hidden.Id}");
        var before = await AsReader.GetAsync($"fhir/{type}/{hidden.Id}/_history/1");
        var after = await AsReader.GetAsync($"fhir/{type}/{hidden.Id}/_history/2");
        var history = await AsReader.GetAsync($"fhir/{type}/{hidden.Id}/_history");
        var absent = await AsReader.GetAsync($"fhir/{type}/{Guid.NewGuid():N}");

        Assert.Multiple(() =>
        {
            foreach (var response in new[] { read, before, after, history })
            {
                Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), response.ToString());
                Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(absent.Outcome.Issue.Single().Code));
            }
        });
    }

    [TestCaseSource(nameof(Types))]
    public async Task The_patient_and_the_recorder_still_find_the_hidden_entry(string type)
    {
        var (patient, asPatient, hidden, visible) = await PlantedAsync(type);
        var byPatient = type == "Immunization" ? "patient" : "subject";

        var patientSearch = await asPatient.SearchBundleAsync(type, $"{byPatient}={patient.Id}");
        var recorderSearch = await Fhir.SearchBundleAsync(type, $"{byPatient}={patient.Id}");
        var recorderRead = await Fhir.GetAsync($"fhir/{type}/{hidden.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(patientSearch.MatchIds(), Is.EquivalentTo(new[] { visible.Id, hidden.Id }));
            Assert.That(recorderSearch.MatchIds(), Is.EquivalentTo(new[] { visible.Id, hidden.Id }));
            Assert.That(recorderRead.Status, Is.EqualTo(HttpStatusCode.OK), recorderRead.ToString());
        });
    }

    [Test]
    public async Task A_medecin_traitant_sees_a_hidden_entry()
    {
        var (patient, asPatient, hidden, _) = await PlantedAsync("Condition");
        var stored = (await asPatient.GetAsync($"fhir/Patient/{patient.Id}")).Resource<Patient>();
        stored.GeneralPractitioner.Add(new ResourceReference { Identifier = new Identifier(Systems.IdNatPs, Reader) });
        Assert.That((await asPatient.UpdateAsync(stored)).Status, Is.EqualTo(HttpStatusCode.OK), "Arrange: the reader becomes médecin traitant");

        var read = await AsReader.GetAsync($"fhir/Condition/{hidden.Id}");

        Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK), read.ToString());
    }

    [Test]
    public async Task Include_does_not_bring_in_a_hidden_measurement()
    {
        var (patient, _, hidden, _) = await PlantedAsync("Observation");
        var panel = HealthProfileEntries.Weight(patient, 70m);
        panel.HasMember.Add(new ResourceReference($"Observation/{hidden.Id}"));
        var visible = await Fhir.CreatedAsync(panel);

        var asReader = await AsReader.SearchBundleAsync("Observation", $"subject={patient.Id}&_id={visible.Id}&_include=Observation:has-member");
        var asRecorder = await Fhir.SearchBundleAsync("Observation", $"subject={patient.Id}&_id={visible.Id}&_include=Observation:has-member");

        Assert.Multiple(() =>
        {
            Assert.That(asReader.Entry.Select(e => e.Resource?.Id), Is.EqualTo(new[] { visible.Id }));
            Assert.That(asRecorder.Entry.Select(e => e.Resource?.Id), Is.EquivalentTo(new[] { visible.Id, hidden.Id }), "the recorder, who sees it, gets it included");
        });
    }

    [Test]
    public async Task A_profession_the_table_does_not_list_reads_no_antecedent()
    {
        const string pedicure = "810006100080";
        var (patient, _, _) = await RecordPermittingAsync(pedicure);
        var condition = await Fhir.CreatedAsync(HealthProfileEntries.Condition(patient));
        var asPedicure = Fhir.As(Tokens.Professional(pedicure, profession: "80"));

        var search = await asPedicure.SearchBundleAsync("Condition", $"subject={patient.Id}&_total=accurate");
        var read = await asPedicure.GetAsync($"fhir/Condition/{condition.Id}");
        var measurements = await asPedicure.SearchBundleAsync("Observation", $"subject={patient.Id}&_total=accurate");

        Assert.Multiple(() =>
        {
            Assert.That(search.Total, Is.EqualTo(0));
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.NotFound), read.ToString());
            Assert.That(measurements.Total, Is.EqualTo(0));
        });
    }
}
