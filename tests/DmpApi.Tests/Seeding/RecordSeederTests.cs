using System.Net;
using DmpApi.Access;
using DmpApi.Storage.Seeding;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Seeding;

/// <summary>
/// The seed command's data (Storage/Seeding): records written through the store's own path, so that the API finds, decides
/// on and serves them exactly as records created through it.
/// </summary>
public sealed class RecordSeederTests(TestStore store) : StoreFixture(store)
{
    private const string SeedingDoctor = "810005555555";

    [Test]
    public async Task Seeded_documents_are_found_and_served_to_the_professional_who_opened_the_records()
    {
        var documents = await SeedAsync(patients: 2, documentsPerPatient: 10);
        var asSeeder = Fhir.As(Tokens.Professional(SeedingDoctor));

        foreach (var patient in documents.Select(d => d.Patient).Distinct())
        {
            var bundle = await asSeeder.SearchBundleAsync("DocumentReference", $"patient={patient}");
            Assert.That(bundle.Entry.Select(e => e.Resource!.Id), Is.EquivalentTo(documents.Where(d => d.Patient == patient).Select(d => d.Document)));
        }

        var content = await asSeeder.GetAsync($"fhir/Binary/{documents[0].Binary}");
        Assert.That(content.Status, Is.EqualTo(HttpStatusCode.OK), content.ToString());
        Assert.That(content.Text, Does.StartWith("%PDF"));
    }

    [Test]
    public async Task A_seeded_masked_document_is_hidden_from_the_other_permitted_professional()
    {
        var documents = await SeedAsync(patients: 1, documentsPerPatient: 10);
        Assert.That(documents.Count(d => d.Masked), Is.EqualTo(1), "arrange: one document in ten is masked");

        var bundle = await Fhir.As(Tokens.Professional(RecordSeeder.OtherPermittedIdNatPs)).SearchBundleAsync("DocumentReference", $"patient={documents[0].Patient}");

        Assert.That(bundle.Entry.Select(e => e.Resource!.Id), Is.EquivalentTo(documents.Where(d => !d.Masked).Select(d => d.Document)));
    }

    [Test]
    public async Task Each_seeded_record_holds_its_documents_allergy_and_consents()
    {
        var documents = await SeedAsync(patients: 1, documentsPerPatient: 3);
        var asSeeder = Fhir.As(Tokens.Professional(SeedingDoctor));

        var allergies = await asSeeder.SearchBundleAsync("AllergyIntolerance", $"patient={documents[0].Patient}");
        var consents = await asSeeder.SearchBundleAsync("Consent", $"patient={documents[0].Patient}");

        Assert.That(documents, Has.Count.EqualTo(3));
        Assert.That(allergies.Entry, Has.Count.EqualTo(1));
        Assert.That(consents.Entry.Select(e => ((Consent)e.Resource!).Provision!.Type), Is.EqualTo(new[] { Consent.ConsentProvisionType.Permit, Consent.ConsentProvisionType.Permit }));
    }

    private sealed record SeededDocument(string Patient, string Document, string Binary, bool Masked);

    private async Task<List<SeededDocument>> SeedAsync(int patients, int documentsPerPatient)
    {
        var ids = Path.GetTempFileName();
        try
        {
            var seeder = new RecordSeeder(App.Services.GetRequiredService<IServiceScopeFactory>(), App.Services.GetRequiredService<DocumentVisibility>(), TimeProvider.System);
            var written = await seeder.SeedAsync(new SeedPlan(patients, documentsPerPatient, 1, SeedingDoctor, ids), TextWriter.Null, CancellationToken.None);
            var documents = (await File.ReadAllLinesAsync(ids)).Select(l => l.Split(' ')).Select(p => new SeededDocument(p[0], p[1], p[2], p[3] == "masked")).ToList();
            Assert.That(written, Is.EqualTo(documents.Count), "the final count is the documents written");
            return documents;
        }
        finally
        {
            File.Delete(ids);
        }
    }
}
