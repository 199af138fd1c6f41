using System.Net;
using DmpApi.Access;
using DmpApi.Storage;
using DmpApi.Seeding;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Seeding;

/// <summary>
/// The seed command's data (Seeding/): records written through the store's own path, so that the API finds, decides
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
        // Each professional reads the Consent naming them (DMP-RULES §3): the seeder's permit, and the other permitted one's.
        var consents = await asSeeder.SearchBundleAsync("Consent", $"patient={documents[0].Patient}");
        var othersConsents = await Fhir.As(Tokens.Professional(RecordSeeder.OtherPermittedIdNatPs)).SearchBundleAsync("Consent", $"patient={documents[0].Patient}");

        Assert.That(documents, Has.Count.EqualTo(3));
        Assert.That(allergies.Entry, Has.Count.EqualTo(1));
        Assert.That(consents.Entry.Select(e => ((Consent)e.Resource!).Provision!.Actor.Single().Reference!.Identifier!.Value), Is.EqualTo(new[] { SeedingDoctor }));
        Assert.That(othersConsents.Entry.Select(e => ((Consent)e.Resource!).Provision!.Actor.Single().Reference!.Identifier!.Value), Is.EqualTo(new[] { RecordSeeder.OtherPermittedIdNatPs }));
    }

    [Test]
    public async Task Each_seeded_record_holds_a_health_profile_with_a_weight_series_in_kilograms()
    {
        var documents = await SeedAsync(patients: 1, documentsPerPatient: 1);
        var asSeeder = Fhir.As(Tokens.Professional(SeedingDoctor));
        var patient = documents[0].Patient;

        var conditions = await asSeeder.SearchBundleAsync("Condition", $"patient={patient}&_total=accurate");
        var treatments = await asSeeder.SearchBundleAsync("MedicationStatement", $"patient={patient}&_total=accurate");
        var vaccinations = await asSeeder.SearchBundleAsync("Immunization", $"patient={patient}&_total=accurate");
        var weights = await asSeeder.SearchBundleAsync("Observation", $"patient={patient}&code=http://loinc.org|{Patients.HealthMeasurements.BodyWeight.Loinc}&_sort=date");

        Assert.Multiple(() =>
        {
            Assert.That(conditions.Total, Is.EqualTo(2));
            Assert.That(treatments.Total, Is.EqualTo(2));
            Assert.That(vaccinations.Total, Is.EqualTo(3));
            Assert.That(weights.Entry, Has.Count.EqualTo(4), "a weight every three months for a year");
            Assert.That(weights.Entry.Select(e => ((Observation)e.Resource!).Value is Quantity q ? q.Code : null).Distinct(), Is.EqualTo(new[] { "kg" }));
        });
    }

    [Test]
    public async Task The_seed_writer_saves_the_rows_the_api_saves_for_the_same_versions()
    {
        // Arrange: a record created through the API (its rows saved by SaveChanges), then the same rows saved again by
        // the seed writer into an empty database of the same kind.
        var (patient, _, _) = await RecordPermittingAsync(RecordSeeder.OtherPermittedIdNatPs);
        await CreateDocumentAsync(DocumentBuilder.For(patient));
        await Fhir.CreatedAsync(new AllergyIntolerance
        {
            // ait-1 (FHIR R4): a clinicalStatus unless entered in error.
            ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
            Patient = new ResourceReference($"Patient/{patient.Id}"), Code = new CodeableConcept("http://snomed.info/sct", "91936005"),
        });
        List<StagedVersion> versions;
        await using (var scope = App.Services.CreateAsyncScope())
        {
            versions = await VersionsOfAsync(scope.ServiceProvider.GetRequiredService<DmpDbContext>(), patient.Id!);
        }

        Assert.That(versions.Select(v => v.Row.ResourceType).Distinct(), Is.EquivalentTo(new[] { "Patient", "Consent", "DocumentReference", "AllergyIntolerance" }), "arrange");
        await using var copy = await Store.CreateDatabaseAsync();
        await using var copyApp = new DmpApiApplication(copy);
        copyApp.CreateClient().Dispose(); // starts the host, which migrates the empty database

        // Act
        await using (var scope = copyApp.Services.CreateAsyncScope())
        {
            await using var rows = new SeedRows(scope.ServiceProvider.GetRequiredService<DmpDbContext>());
            await rows.WriteAsync(versions, CancellationToken.None);
        }

        // Assert: every column of every row as the database stores it, surrogate keys aside.
        foreach (var table in new[] { "Resources", "TokenIndex", "StringIndex", "DateIndex", "ReferenceIndex", "Binaries", "PatientIdentities" })
        {
            Assert.That(await StoredRowsAsync(copyApp, table), Is.EqualTo(await StoredRowsAsync(App, table, patient.Id)), table);
        }
    }

    [Test]
    public async Task A_bulk_load_into_an_empty_sqlite_database_ends_with_its_indexes_and_the_connection_settings_it_had()
    {
        RequireSqlite();
        await using var empty = await Store.CreateDatabaseAsync();
        await using var app = new DmpApiApplication(empty);
        app.CreateClient().Dispose();
        await using var scope = app.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
        await db.Database.OpenConnectionAsync();
        var schema = await QueryAsync(db, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name");
        var settings = await QueryAsync(db, "SELECT * FROM pragma_synchronous, pragma_cache_size, pragma_threads, pragma_busy_timeout, pragma_journal_mode");

        var load = await SqliteBulkLoad.BeginAsync(db, CancellationToken.None);
        var during = await QueryAsync(db, "SELECT * FROM pragma_synchronous, pragma_journal_mode");
        var indexesDuring = await QueryAsync(db, "SELECT name FROM sqlite_master WHERE type = 'index'");
        var dropped = load.DroppedIndexes;
        await load.FinishAsync(CancellationToken.None);

        await db.Database.OpenConnectionAsync();
        await Assert.MultipleAsync(async () =>
        {
            Assert.That(during, Is.EqualTo(new[] { "0|memory" }), "no fsync and no WAL while loading");
            Assert.That(dropped, Is.Not.Empty, "secondary indexes dropped while loading");
            Assert.That(dropped.Intersect(indexesDuring), Is.Empty, "secondary indexes dropped while loading");
            Assert.That(await QueryAsync(db, "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"), Is.EqualTo(schema));
            Assert.That(await QueryAsync(db, "SELECT * FROM pragma_synchronous, pragma_cache_size, pragma_threads, pragma_busy_timeout, pragma_journal_mode"), Is.EqualTo(settings));
        });
    }

    [Test]
    public async Task A_bulk_load_into_a_sqlite_database_in_use_keeps_its_indexes()
    {
        RequireSqlite();
        await CreatePatientAsync();
        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();

        var load = await SqliteBulkLoad.BeginAsync(db, CancellationToken.None);
        var dropped = load.DroppedIndexes;
        await load.FinishAsync(CancellationToken.None);

        Assert.That(dropped, Is.Empty);
    }

    private void RequireSqlite()
    {
        if (Store.Provider != DatabaseProvider.Sqlite)
        {
            Assert.Ignore("The bulk-load settings are SQLite's: other databases are seeded through SaveChanges.");
        }
    }

    /// <summary>Each row's columns joined by '|'.</summary>
    private static async Task<List<string>> QueryAsync(DmpDbContext db, string sql)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        }

        return rows;
    }

    private static async Task<List<StagedVersion>> VersionsOfAsync(DmpDbContext db, string patientId)
    {
        var resources = await db.Resources.AsNoTracking().Where(r => r.PatientId == patientId).OrderBy(r => r.Id).ToListAsync();
        var ids = resources.Select(r => r.Id).ToList();
        var index = new List<SearchIndexRow>();
        index.AddRange(await db.TokenIndex.AsNoTracking().Where(r => ids.Contains(r.ResourceRowId)).ToListAsync());
        index.AddRange(await db.StringIndex.AsNoTracking().Where(r => ids.Contains(r.ResourceRowId)).ToListAsync());
        index.AddRange(await db.DateIndex.AsNoTracking().Where(r => ids.Contains(r.ResourceRowId)).ToListAsync());
        index.AddRange(await db.ReferenceIndex.AsNoTracking().Where(r => ids.Contains(r.ResourceRowId)).ToListAsync());
        var binaries = await db.Binaries.AsNoTracking().Where(b => b.PatientId == patientId).ToListAsync();
        var identities = await db.PatientIdentities.AsNoTracking().Where(p => p.PatientId == patientId).ToListAsync();
        return resources.Select(r => new StagedVersion(
                r, index.Where(i => i.ResourceRowId == r.Id).ToList(), binaries.Where(b => b.DocumentId == r.LogicalId).ToList(),
                r.ResourceType == "Patient" ? identities : null, [], new StoredResource(r.ResourceType, r.LogicalId, r.VersionId, r.IsDeleted, r.LastUpdated, null, r.PatientId)))
            .ToList();
    }

    /// <summary>A table's rows of one record as stored (index rows named by their resource instead of its row key), in a stable order.</summary>
    private static async Task<List<string>> StoredRowsAsync(DmpApiApplication app, string table, string? patientId = null)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var connection = scope.ServiceProvider.GetRequiredService<DmpDbContext>().Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        var isIndex = table.EndsWith("Index", StringComparison.Ordinal);
        command.CommandText = isIndex
            ? $"SELECT t.*, r.\"LogicalId\" AS \"OfResource\" FROM \"{table}\" t JOIN \"Resources\" r ON r.\"Id\" = t.\"ResourceRowId\""
            : $"SELECT * FROM \"{table}\" t";
        if (patientId is not null)
        {
            command.CommandText += " WHERE t.\"PatientId\" = @patient";
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@patient";
            parameter.Value = patientId;
            command.Parameters.Add(parameter);
        }

        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount)
                .Where(i => reader.GetName(i) is not ("Id" or "ResourceRowId"))
                .Select(i => $"{reader.GetName(i)}={Show(reader.GetValue(i))}")));
        }

        rows.Sort(StringComparer.Ordinal);
        return rows;

        static string Show(object value) => value switch
        {
            byte[] bytes => Convert.ToBase64String(bytes),
            DateTime time => time.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "null",
        };
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
