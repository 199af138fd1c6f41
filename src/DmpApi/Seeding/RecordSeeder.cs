using System.Diagnostics;
using System.Globalization;
using System.Text.Unicode;
using System.Threading.Channels;
using DmpApi.Access;
using DmpApi.Auth;
using DmpApi.Patients;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Seeding;

/// <summary>What to seed: N records of M documents each, opened by one professional (the bench's requester).</summary>
public sealed record SeedPlan(int Patients, int DocumentsPerPatient, int PatientsPerTransaction, string IdNatPs, string? IdsFile);

/// <summary>
/// Fills a database with realistic records through the store's own write path (rules, index rows, binaries), many
/// records per transaction: each record opened by the seeding professional (so that they hold a permit, DMP-RULES §3),
/// a second professional's permit, an allergy, documents of mixed types, one in ten masked (MASQUE_PS), and a health
/// profile (<see cref="SeedProfiles"/>).
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

    /// <summary>Time the builders spent staging rows, added up over them (they run on every core at once).</summary>
    public TimeSpan StagingTime => TimeSpan.FromTicks(Interlocked.Read(ref _stagingTicks));

    /// <summary>Time the one writer spent saving, overlapping the building of the next batches.</summary>
    public TimeSpan SavingTime { get; private set; }

    /// <summary>Time spent building again the indexes dropped for a bulk load into an empty SQLite database.</summary>
    public TimeSpan IndexingTime { get; private set; }

    /// <summary>How many builders staged rows at once.</summary>
    public int Builders { get; } = Environment.ProcessorCount;

    private long _stagingTicks;

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
        var batches = (plan.Patients + plan.PatientsPerTransaction - 1) / plan.PatientsPerTransaction;
        var patientIds = new string[plan.Patients];
        await using var writerScope = scopes.CreateAsyncScope();
        var writerDb = writerScope.ServiceProvider.GetRequiredService<DmpDbContext>();
        await using var rows = new SeedRows(writerDb);
        var bulk = writerDb.Database.IsSqlite() ? await SqliteBulkLoad.BeginAsync(writerDb, ct) : null;
        long documents = 0;
        try
        {
            // The Patients first, all of them: the documents' rules find their subject in the database.
            var opened = 0;
            await PipelineAsync(batches, requester, bulk?.IsBulk == true, ct,
                batch =>
                {
                    var (start, count) = Range(plan, batch);
                    return Enumerable.Range(start, count).Select(i => (Resource)NewPatient(firstNumber + i, i)).ToList();
                },
                async (batch, staged) =>
                {
                    await rows.WriteAsync(staged, ct);
                    var (start, count) = Range(plan, batch);
                    for (var i = 0; i < count; i++)
                    {
                        patientIds[start + i] = staged[i].Stored.Id;
                    }

                    opened += count;
                    Report(progress, opened, plan.Patients, "records opened", watch.Elapsed);
                });
            progress.WriteLine();

            // Then each record's consents, allergy and documents.
            var done = 0;
            await PipelineAsync(batches, requester, bulk?.IsBulk == true, ct,
                batch =>
                {
                    var (start, count) = Range(plan, batch);
                    return Enumerable.Range(start, count).SelectMany(i => NewRecordContent(patientIds[i], plan, i)).ToList();
                },
                async (batch, staged) =>
                {
                    await rows.WriteAsync(staged, ct);
                    foreach (var document in staged.Select(s => s.Stored.Resource).OfType<DocumentReference>())
                    {
                        documents++;
                        if (ids is not null)
                        {
                            await ids.WriteLineAsync(Line(document));
                        }
                    }

                    var (_, count) = Range(plan, batch);
                    done += count;
                    Report(progress, done, plan.Patients, $"records, {documents:N0} documents, {documents / Math.Max(watch.Elapsed.TotalSeconds, 0.001):N0} documents/s", watch.Elapsed);
                });
            progress.WriteLine();
        }
        finally
        {
            if (bulk is { IsBulk: true })
            {
                // Even after a failure: the database keeps its indexes (CancellationToken.None: this must finish).
                var indexing = Stopwatch.StartNew();
                progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Building {bulk.DroppedIndexes.Count} indexes dropped for the load..."));
                await bulk.FinishAsync(CancellationToken.None);
                IndexingTime = indexing.Elapsed;
            }
            else if (bulk is not null)
            {
                await bulk.FinishAsync(CancellationToken.None);
            }
        }

        return documents;
    }

    /// <summary>
    /// Builds batches on every core (each builder with its own context, its connection kept open) and saves them with one
    /// writer as they come, in any order; at most one finished batch per builder waits for the writer.
    /// </summary>
    private async Task PipelineAsync(int batches, Requester requester, bool waitForWriter, CancellationToken ct,
        Func<int, List<Resource>> resources, Func<int, StagedVersion[], Task> save)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var built = Channel.CreateBounded<(int Batch, StagedVersion[] Staged)>(Builders);
        var next = -1;
        var builders = Task.Run(async () =>
        {
            try
            {
                await Parallel.ForAsync(0, Builders, failed.Token, async (_, token) =>
                {
                    await using var scope = scopes.CreateAsyncScope();
                    var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
                    var store = scope.ServiceProvider.GetRequiredService<ResourceStore>();
                    // Open for the whole run: the provider sets up a connection each time it opens one.
                    await db.Database.OpenConnectionAsync(token);
                    var busyTimeout = waitForWriter ? await BusyTimeoutAsync(db, SqliteBulkLoad.BusyTimeoutMs, token) : null;
                    try
                    {
                        for (var batch = Interlocked.Increment(ref next); batch < batches; batch = Interlocked.Increment(ref next))
                        {
                            var watch = Stopwatch.StartNew();
                            var list = resources(batch);
                            var access = new AccessScope(requester, db, visibility, clock.GetUtcNow());
                            var staged = new StagedVersion[list.Count];
                            for (var i = 0; i < list.Count; i++)
                            {
                                staged[i] = await store.StageVersionAsync(access, list[i], 1, BaseUrl, previous: null, token,
                                    decided: WriteDecision.Allowed);
                            }

                            Interlocked.Add(ref _stagingTicks, watch.Elapsed.Ticks);
                            await built.Writer.WriteAsync((batch, staged), token);
                        }
                    }
                    finally
                    {
                        if (busyTimeout is not null)
                        {
                            await BusyTimeoutAsync(db, busyTimeout.Value, CancellationToken.None);
                        }

                        await db.Database.CloseConnectionAsync();
                    }
                });
                built.Writer.Complete();
            }
            catch (Exception e)
            {
                built.Writer.TryComplete(e);
                throw;
            }
        }, failed.Token);
        var writer = Task.Run(async () =>
        {
            try
            {
                await foreach (var (batch, staged) in built.Reader.ReadAllAsync(failed.Token))
                {
                    var watch = Stopwatch.StartNew();
                    await save(batch, staged);
                    SavingTime += watch.Elapsed;
                }
            }
            catch
            {
                // Stops the builders waiting for room in the channel.
                await failed.CancelAsync();
                throw;
            }
        }, failed.Token);

        // The writer first: its failure is the cause when the builders then stop.
        await Task.WhenAll(writer, builders);
    }

    /// <summary>Sets how long a builder's connection waits for the writer's lock (no WAL during a bulk load); returns the value it had.</summary>
    private static async Task<int?> BusyTimeoutAsync(DmpDbContext db, int milliseconds, CancellationToken ct)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = "PRAGMA busy_timeout";
        var previous = Convert.ToInt32(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
        command.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout={milliseconds}");
        await command.ExecuteNonQueryAsync(ct);
        return previous;
    }

    private static (int Start, int Count) Range(SeedPlan plan, int batch)
    {
        var start = batch * plan.PatientsPerTransaction;
        return (start, Math.Min(plan.PatientsPerTransaction, plan.Patients - start));
    }

    /// <summary>One line per document for load scripts: patient, document, binary, and whether a professional other than the author sees it.</summary>
    private static string Line(DocumentReference document)
    {
        var patientId = document.Subject!.Reference!["Patient/".Length..];
        var url = document.Content[0].Attachment.Url ?? string.Empty;
        var binary = url[(url.LastIndexOf('/') + 1)..];
        var masked = document.SecurityLabel.Any(l => l.Coding.Any(c => c.Code == DmpCodes.Masked.Code));
        return $"{patientId} {document.Id} {binary} {(masked ? "masked" : "visible")}";
    }

    private static void Report(TextWriter progress, int done, int total, string what, TimeSpan elapsed)
    {
        const int width = 30;
        var filled = (int)((long)width * done / Math.Max(total, 1));
        progress.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r[{new string('#', filled)}{new string('.', width - filled)}] {done:N0}/{total:N0} {what}, {elapsed:mm\\:ss}"));
    }

    private static Patient NewPatient(long number, int index) => new()
    {
        Id = NewId(),
        Identifier = [new Identifier(Ins.NirSystem, Nir(number))],
        Name = [new HumanName { Family = Families[index % Families.Length], Given = [Givens[index / Families.Length % Givens.Length]] }],
        Gender = index % 2 == 0 ? AdministrativeGender.Female : AdministrativeGender.Male,
        BirthDate = new DateTime(1940 + index % 70, 1 + index % 12, 1 + index % 28, 0, 0, 0, DateTimeKind.Utc).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
    };

    /// <summary>What a record holds beside its Patient: the seeding professional's opening permit, a second professional's permit, an allergy, documents, a health profile.</summary>
    private List<Resource> NewRecordContent(string patientId, SeedPlan plan, int index)
    {
        var now = clock.GetUtcNow();
        var opening = ResourceWriteRules.OpeningPermit(patientId, plan.IdNatPs, now.UtcDateTime);
        opening.Id = NewId();
        var otherPermit = ResourceWriteRules.OpeningPermit(patientId, OtherPermittedIdNatPs, now.UtcDateTime);
        otherPermit.Id = NewId();
        otherPermit.Provision!.Period = new Period { Start = now.AddYears(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), End = now.AddYears(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) };
        var allergy = new AllergyIntolerance
        {
            Id = NewId(),
            ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
            Code = new CodeableConcept("http://snomed.info/sct", "91936005", "Allergy to penicillin"),
            Patient = new ResourceReference($"Patient/{patientId}"),
            RecordedDate = now.AddDays(-index % 365).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        };

        var documents = Enumerable.Range(0, plan.DocumentsPerPatient).Select(d => (Resource)NewDocument(patientId, index * plan.DocumentsPerPatient + d, now));
        return [opening, otherPermit, allergy, .. documents, .. SeedProfiles.For(patientId, index, now)];
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
        var random = new Random(number);
        var size = 2048 + random.Next(4096);
        // Written as ASCII bytes in place (a line is well under 256 bytes): one buffer per document, no intermediate text.
        var buffer = new byte[size + 256];
        var fits = Utf8.TryWrite(buffer, CultureInfo.InvariantCulture, $"%PDF-1.4\n% {title} #{number}\n", out var length);
        while (fits && length < size)
        {
            fits = Utf8.TryWrite(buffer.AsSpan(length), CultureInfo.InvariantCulture, $"{random.Next():x8} {random.NextDouble():F6} BT /F1 12 Tf ({title}) Tj ET\n", out var written);
            length += written;
        }

        if (!fits)
        {
            throw new InvalidOperationException($"A line of document #{number} outgrew its buffer.");
        }

        return buffer[..length];
    }

    /// <summary>A valid INS-NIR (13 digits and their key 97 − N mod 97) for record number <paramref name="number"/>.</summary>
    private static string Nir(long number)
    {
        var body = 1_000_000_000_000L + number;
        return string.Create(CultureInfo.InvariantCulture, $"{body}{97 - body % 97:00}");
    }

    private static string NewId() => Guid.NewGuid().ToString("N");
}
