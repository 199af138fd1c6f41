using System.Net;
using DmpApi.Patients;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// A system requester (issue 15): the Assurance Maladie feed authenticates with client credentials and system/… scopes,
/// deposits care history (documents and health profile entries) as their author, is traced under its own client id,
/// and reads nothing, whatever its scopes.
/// </summary>
public sealed class SystemRequesterTests(TestStore store) : StoreFixture(store)
{
    private FhirHttp AsFeed => Fhir.As(SystemTokens.Feed());

    [Test]
    public async Task The_feed_deposits_a_document_and_a_vaccination_as_their_author()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();

        var document = await AsFeed.CreateAsync(DocumentBuilder.For(patient).Build());
        var vaccination = await AsFeed.CreateAsync(HealthProfileEntries.Vaccination(patient));
        var read = await asPatient.GetAsync($"fhir/DocumentReference/{document.Resource<DocumentReference>().Id}");

        Assert.Multiple(() =>
        {
            Assert.That(document.Status, Is.EqualTo(HttpStatusCode.Created), document.ToString());
            Assert.That(vaccination.Status, Is.EqualTo(HttpStatusCode.Created), vaccination.ToString());
            var author = read.Resource<DocumentReference>().Author.Single(a => a.Identifier?.System == Recorders.SystemClientIdSystem);
            Assert.That(author.Identifier?.Value, Is.EqualTo(SystemTokens.AssuranceMaladie));
            Assert.That(vaccination.Resource<Immunization>().Performer.Single().Actor.Identifier?.Value, Is.EqualTo(SystemTokens.AssuranceMaladie));
        });
    }

    [Test]
    public async Task The_feed_reads_nothing_not_even_what_it_deposited()
    {
        var (patient, _, _) = await RecordPermittingAsync();
        var document = (await AsFeed.CreateAsync(DocumentBuilder.For(patient).Build())).Resource<DocumentReference>();
        var entry = (await AsFeed.CreateAsync(HealthProfileEntries.Condition(patient))).Resource<Condition>();

        var reads = new[]
        {
            await AsFeed.GetAsync($"fhir/Patient/{patient.Id}"),
            await AsFeed.GetAsync($"fhir/DocumentReference/{document.Id}"),
            await AsFeed.GetAsync($"fhir/DocumentReference/{document.Id}/_history/1"),
            await AsFeed.GetAsync($"fhir/DocumentReference/{document.Id}/_history"),
            await AsFeed.GetAsync(document.Content.Single().Attachment.Url!),
            await AsFeed.GetAsync($"fhir/Condition/{entry.Id}"),
            await AsFeed.SearchAsync("Condition", $"subject={patient.Id}"),
            await AsFeed.SearchAsync("DocumentReference", $"patient={patient.Id}"),
            await AsFeed.SearchAsync("Patient", $"_id={patient.Id}"),
            await AsFeed.SearchAsync("Observation", "code=29463-7"),
            await AsFeed.SearchAsync("AuditEvent", $"patient={patient.Id}"),
            await AsFeed.SearchAsync("Communication", $"patient={patient.Id}"),
        };

        Assert.Multiple(() =>
        {
            foreach (var response in reads)
            {
                Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
            }
        });
    }

    [Test]
    public async Task The_feed_writes_neither_patients_nor_consents_nor_in_a_closed_record()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();
        var consent = await AsFeed.CreateAsync(ConsentBuilder.For(patient).Permitting("810006300001").Build());
        var record = await AsFeed.CreateAsync(new PatientBuilder().Build());
        var closed = (await asPatient.GetAsync($"fhir/Patient/{patient.Id}")).Resource<Patient>();
        closed.Active = false;
        Assert.That((await asPatient.UpdateAsync(closed)).Status, Is.EqualTo(HttpStatusCode.OK), "Arrange: the patient closes the record");

        var intoClosed = await AsFeed.CreateAsync(HealthProfileEntries.Vaccination(patient));

        Assert.Multiple(() =>
        {
            Assert.That(consent.Status, Is.EqualTo(HttpStatusCode.Forbidden), consent.ToString());
            Assert.That(record.Status, Is.EqualTo(HttpStatusCode.Forbidden), record.ToString());
            Assert.That(intoClosed.Status, Is.EqualTo(HttpStatusCode.Forbidden), intoClosed.ToString());
        });
    }

    [Test]
    public async Task The_feed_only_deposits_it_neither_changes_nor_deletes_since_that_would_read()
    {
        var (patient, _, _) = await RecordPermittingAsync();
        var deposited = (await AsFeed.CreateAsync(HealthProfileEntries.Treatment(patient))).Resource<MedicationStatement>();
        deposited.Status = MedicationStatement.MedicationStatusCodes.Completed;

        var update = await AsFeed.UpdateAsync(deposited);
        var delete = await AsFeed.DeleteAsync($"fhir/MedicationStatement/{deposited.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(update.Status, Is.EqualTo(HttpStatusCode.Forbidden), update.ToString());
            Assert.That(delete.Status, Is.EqualTo(HttpStatusCode.Forbidden), delete.ToString());
        });
    }

    [Test]
    public async Task The_patient_sees_the_feeds_deposit_traced_under_its_client_id()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();
        Assert.That((await AsFeed.CreateAsync(HealthProfileEntries.Vaccination(patient))).Status, Is.EqualTo(HttpStatusCode.Created));

        var trail = await asPatient.SearchBundleAsync("AuditEvent", $"patient={patient.Id}&_count=500");

        var agents = trail.Entry.Select(e => e.Resource).OfType<AuditEvent>().SelectMany(e => e.Agent).Where(a => a.Requestor == true);
        Assert.That(agents.Any(a => a.Who?.Identifier?.System == Recorders.SystemClientIdSystem && a.Who.Identifier.Value == SystemTokens.AssuranceMaladie),
            Is.True, "one trace names the feed by its client id");
    }

    [Test]
    public async Task An_unknown_client_is_refused_at_authentication()
    {
        var response = await Fhir.As(SystemTokens.Feed("some-crawler")).CreateAsync(HealthProfileEntries.Vaccination(new Patient { Id = "x" }));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
    }
}
