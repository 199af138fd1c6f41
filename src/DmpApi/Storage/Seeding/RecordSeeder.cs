using System.Diagnostics;
using System.Globalization;
using System.Text;
using DmpApi.Access;
using DmpApi.Auth;
using DmpApi.Patients;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Storage.Seeding;

/// <summary>What to seed: N records of M documents each, opened by one professional (the bench's requester).</summary>
public sealed record SeedPlan(int Patients, int DocumentsPerPatient, int PatientsPerTransaction, string IdNatPs, string? IdsFile);

/// <summary>
/// Fills a database with realistic records through the store's own write path (rules, index rows, binaries), many
/// records per transaction: each record opened by the seeding professional (so that they hold a permit, DMP-RULES §3),
/// a second professional's permit, an allergy and documents of mixed types, one in ten masked (MASQUE_PS).
/// </summary>
public sealed class RecordSeeder(IServiceScopeFactory scopes, DocumentVisibility visibility, TimeProvider clock)
{
    public const string BaseUrl = "http://localhost/fhir";
    /// <summary>A second professional, permitted on every seeded record, who is not the author of its documents.</summary>
    public const string OtherPermittedIdNatPs = "810009999999";

    private static readonly (string Code, string Display)[] DocumentTypes =
    [
        ("11488-4", "Consultation note"), ("18842-5", "Discharge summary"), ("11502-2", "Laboratory report"),
        ("18748-4", "Diagnostic imaging study"), ("57833-6", "Prescription for medication"), ("34133-9", "Summary of episode note"),
    ];

    private static readonly string[] Families = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"];
    private static readonly string[] Givens = ["Jeanne", "Louis", "Marie", "Paul", "Claire", "Jules", "Alice", "Hugo", "Emma", "Léon"];

    /// <summary>Wall time spent building versions (on every core), and saving them (one writer, overlapping the next batch's building).</summary>
    public TimeSpan StagingTime { get; private set; }

    public TimeSpan SavingTime { get; private set; }


    /// <summary>Seeds the plan; returns the documents written. Progress goes to <paramref name="progress"/> (a terminal's stderr).</summary>
    public async Task<long> SeedAsync(SeedPlan plan, TextWriter progress, CancellationToken ct)
    {
        var requester = new Requester(RequesterKind.Professional, plan.IdNatPs, plan.IdNatPs, DmpCodes.Doctor, null, "Dr Seed",
            Requester.TreatmentPurpose, new HashSet<string> { "user/*.cruds" });
        await using var ids = plan.IdsFile is null ? null : new StreamWriter(plan.IdsFile, append: false);
        long firstNumber;
        await using (var scope = scopes.CreateAsyncScope())
        {
            // New INS after the ones already there: seeding twice adds records instead of colliding on the INS.
            firstNumber = await scope.ServiceProvider.GetRequiredService<DmpDbContext>().PatientIdentities.LongCountAsync(ct);
        }

        var watch = Stopwatch.StartNew();
        long documents = 0;
        Task saving = Task.CompletedTask;
        for (var start = 0; start < plan.Patients; start += plan.PatientsPerTransaction)
        {
            var count = Math.Min(plan.PatientsPerTransaction, plan.Patients - start);
            var records = Enumerable.Range(start, count).Select(i => NewRecord(firstNumber + i, plan, i)).ToList();
            // The Patients first (the documents' rules resolve their subject), then everything else, each in one transaction;
            // the previous batch is saved while this one's rows are built (one writer, the other cores building).
            await saving;
            await SaveAsync(await StageAsync(requester, records.Select(r => (Resource)r.Patient).ToList(), ct), ct);
            var staged = await StageAsync(requester, records.SelectMany(r => r.Resources.Skip(1)).ToList(), ct);
            saving = SaveAsync(staged, ct);
            documents += records.Sum(r => r.Documents.Count);
            if (ids is not null)
            {
                foreach (var record in records)
                {
                    foreach (var document in record.Documents)
                    {
                        // One line per document: patient, document, binary, and whether a professional other than the author sees it.
                        var url = document.Content[0].Attachment.Url ?? string.Empty;
                        var binary = url[(url.LastIndexOf('/') + 1)..];
                        var masked = document.SecurityLabel.Any(l => l.Coding.Any(c => c.Code == DmpCodes.Masked.Code));
                        await ids.WriteLineAsync($"{record.Patient.Id} {document.Id} {binary} {(masked ? "masked" : "visible")}");
                    }
                }
            }

            Report(progress, start + count, plan.Patients, documents, watch.Elapsed);
        }

        await saving;

        progress.WriteLine();
        return documents;
    }

    /// <summary>Builds the versions on every core: rules, serialisation, index rows (each worker with its own context).</summary>
    private async Task<StagedVersion[]> StageAsync(Requester requester, List<Resource> resources, CancellationToken ct)
    {
        var watch = Stopwatch.StartNew();
        var workers = Math.Max(1, Math.Min(Environment.ProcessorCount, resources.Count));
        var staged = new StagedVersion[resources.Count];
        await Parallel.ForAsync(0, workers, ct, async (worker, token) =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
            var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
            var access = new AccessScope(requester, db, visibility, clock.GetUtcNow());
            for (var i = worker; i < resources.Count; i += workers)
            {
                staged[i] = await store.StageVersionAsync(access, resources[i], 1, BaseUrl, previous: null, token, checkAccess: false);
            }
        });
        StagingTime += watch.Elapsed;
        return staged;
    }

    private async Task SaveAsync(StagedVersion[] staged, CancellationToken ct)
    {
        // Off the caller's thread, so that the next batch is built meanwhile.
        await Task.Yield();
        var watch = Stopwatch.StartNew();
        await using var scope = scopes.CreateAsyncScope();
        await SeedRows.WriteAsync(scope.ServiceProvider.GetRequiredService<DmpDbContext>(), staged, ct);
        SavingTime += watch.Elapsed;
    }

    private static void Report(TextWriter progress, int done, int total, long documents, TimeSpan elapsed)
    {
        const int width = 30;
        var filled = (int)((long)width * done / Math.Max(total, 1));
        var rate = documents / Math.Max(elapsed.TotalSeconds, 0.001);
        progress.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r[{new string('#', filled)}{new string('.', width - filled)}] {done:N0}/{total:N0} records, {documents:N0} documents, {rate:N0} documents/s, {elapsed:mm\\:ss}"));
    }

    private sealed record SeededRecord(Patient Patient, List<Resource> Resources, List<DocumentReference> Documents);

    private SeededRecord NewRecord(long number, SeedPlan plan, int index)
    {
        var now = clock.GetUtcNow();
        var patient = new Patient
        {
            Id = NewId(),
            Identifier = [new Identifier(Ins.NirSystem, Nir(number))],
            Name = [new HumanName { Family = Families[index % Families.Length], Given = [Givens[index / Families.Length % Givens.Length]] }],
            Gender = index % 2 == 0 ? AdministrativeGender.Female : AdministrativeGender.Male,
            BirthDate = new DateTime(1940 + index % 70, 1 + index % 12, 1 + index % 28, 0, 0, 0, DateTimeKind.Utc).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };
        var opening = ResourceStore.OpeningPermit(patient.Id, plan.IdNatPs, now.UtcDateTime);
        opening.Id = NewId();
        var otherPermit = ResourceStore.OpeningPermit(patient.Id, OtherPermittedIdNatPs, now.UtcDateTime);
        otherPermit.Id = NewId();
        otherPermit.Provision!.Period = new Period { Start = now.AddYears(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), End = now.AddYears(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) };
        var allergy = new AllergyIntolerance
        {
            Id = NewId(),
            ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
            Code = new CodeableConcept("http://snomed.info/sct", "91936005", "Allergy to penicillin"),
            Patient = new ResourceReference($"Patient/{patient.Id}"),
            RecordedDate = now.AddDays(-index % 365).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };

        var documents = Enumerable.Range(0, plan.DocumentsPerPatient).Select(d => NewDocument(patient.Id, index * plan.DocumentsPerPatient + d, now)).ToList();
        return new SeededRecord(patient, [patient, opening, otherPermit, allergy, .. documents], documents);
    }

    private static DocumentReference NewDocument(string patientId, int number, DateTimeOffset now)
    {
        var (code, display) = DocumentTypes[number % DocumentTypes.Length];
        var document = new DocumentReference
        {
            Id = NewId(),
            Status = DocumentReferenceStatus.Current,
            Type = new CodeableConcept(DmpCodes.LoincSystem, code, display),
            Category = [new CodeableConcept("https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument", "10")],
            Subject = new ResourceReference($"Patient/{patientId}"),
            Date = now.AddDays(-(number % 3650)),
            Description = $"{display} #{number}",
            Content =
            [
                new DocumentReference.ContentComponent
                {
                    Attachment = new Attachment { ContentType = "application/pdf", Title = display, Data = Content(number, display) },
                },
            ],
        };
        if (number % 10 == 9)
        {
            // CSP L1111-16: one document in ten masked by the patient.
            document.SecurityLabel = [new CodeableConcept(DmpCodes.Masked.System, DmpCodes.Masked.Code)];
        }

        return document;
    }

    /// <summary>A few KB of PDF-like bytes, different for every document (so that nothing compresses to nothing).</summary>
    private static byte[] Content(int number, string title)
    {
        var text = new StringBuilder("%PDF-1.4\n");
        var random = new Random(number);
        var size = 2048 + random.Next(4096);
        text.Append(CultureInfo.InvariantCulture, $"% {title} #{number}\n");
        while (text.Length < size)
        {
            text.Append(CultureInfo.InvariantCulture, $"{random.Next():x8} {random.NextDouble():F6} BT /F1 12 Tf ({title}) Tj ET\n");
        }

        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>A valid INS-NIR (13 digits and their key 97 − N mod 97) for record number <paramref name="number"/>.</summary>
    private static string Nir(long number)
    {
        var body = 1_000_000_000_000L + number;
        return string.Create(CultureInfo.InvariantCulture, $"{body}{97 - body % 97:00}");
    }

    private static string NewId() => Guid.NewGuid().ToString("N");
}
