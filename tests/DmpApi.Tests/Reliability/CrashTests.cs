using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using DmpApi.Audit;
using DmpApi.Auth;
using DmpApi.Storage;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Tests.Reliability;

/// <summary>
/// Crash safety (DESIGN §2, §5): the real server process takes a mixed read/write load, is killed with SIGKILL in the
/// middle of it and started again on the same database, twice. Afterwards every write that got a 2xx is readable with
/// its content, every read that got a 2xx has its audit record, nothing is half-written (one current version per
/// resource, index rows and binaries belong to stored resources) and the audit hash chain verifies.
/// </summary>
[TestFixtureSource(typeof(TestStores), nameof(TestStores.All))]
[NonParallelizable]
public sealed class CrashTests(TestStore store)
{
    private const int Crashes = 2;
    private const int Workers = 6;
    private static readonly TimeSpan LoadBeforeKill = TimeSpan.FromSeconds(3);

    [Test]
    public async Task Acknowledged_writes_and_traced_reads_survive_SIGKILL_and_nothing_is_half_written()
    {
        await using var database = await store.CreateDatabaseAsync();
        var load = new Load(DevelopmentTokens.Mint(ServerProcess.DevelopmentAuth(),
            DevelopmentTokens.Professional(Tokens.DoctorIdNatPs, "10", "Dr Crash")));

        for (var crash = 1; crash <= Crashes; crash++)
        {
            using var server = await ServerProcess.StartAsync(database, portOffset: (int)database.Provider * 10 + crash);
            if (crash > 1)
            {
                await VerifyAsync(database, server, load); // what the previous crash left is whole
            }

            await load.RunAsync(server.BaseAddress, LoadBeforeKill, server.Kill);
        }

        using (var last = await ServerProcess.StartAsync(database, portOffset: (int)database.Provider * 10 + 5))
        {
            await VerifyAsync(database, last, load);
        }

        TestContext.Progress.WriteLine(
            $"CRASH {database.Provider}: {load.Sent} requests sent, {Crashes} SIGKILLs survived, {load.AcknowledgedWrites.Count} acknowledged writes " +
            $"and {load.AcknowledgedReads.Values.Sum()} acknowledged reads checked, {load.Unanswered} requests cut off by the kills, 0 records lost");
    }

    private static async Task VerifyAsync(TestDatabase database, ServerProcess server, Load load)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress };
        var fhir = new FhirHttp(http, load.Token);

        // Every acknowledged write is there, with its content.
        foreach (var write in load.AcknowledgedWrites)
        {
            var read = await fhir.GetAsync($"fhir/{write.Type}/{write.Id}");
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK), $"acknowledged {write.Type}/{write.Id} lost: {read}\n{server.Output}");
            if (write.Content is { } content)
            {
                var url = read.Resource<DocumentReference>().Content[0].Attachment?.Url ?? string.Empty;
                var binary = await fhir.GetAsync("fhir/" + url[(url.IndexOf("/fhir/", StringComparison.Ordinal) + 6)..]);
                Assert.That(binary.Status, Is.EqualTo(HttpStatusCode.OK), $"the content of {write.Id} is lost: {binary}");
                Assert.That(binary.Body, Is.EqualTo(content), $"the content of {write.Id} differs");
            }
        }

        await using var db = database.Open();

        // Every acknowledged read and write has its audit record (committed before the response was sent).
        var tracedPaths = (await db.AuditRecords.AsNoTracking().Where(r => r.HttpStatus >= 200 && r.HttpStatus < 300)
                .Select(r => r.Path).ToListAsync())
            .GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());
        foreach (var (path, count) in load.AcknowledgedReads)
        {
            Assert.That(tracedPaths.GetValueOrDefault(path), Is.GreaterThanOrEqualTo(count), $"{count} acknowledged reads of {path} but fewer audit records");
        }

        var writtenResources = (await db.AuditRecords.AsNoTracking().Where(r => r.HttpStatus == 201).Select(r => r.ResourceIds).ToListAsync())
            .SelectMany(ids => (ids ?? string.Empty).Split(' ')).ToHashSet();
        Assert.That(load.AcknowledgedWrites.Select(w => $"{w.Type}/{w.Id}").Where(r => !writtenResources.Contains(r)), Is.Empty,
            "acknowledged writes without an audit record");

        // Nothing half-written, acknowledged or not: one current version per resource, index rows and binaries of stored resources.
        var notOneCurrent = await db.Resources.AsNoTracking().GroupBy(r => new { r.ResourceType, r.LogicalId })
            .Where(g => g.Count(r => r.IsCurrent) != 1).Select(g => g.Key.ResourceType + "/" + g.Key.LogicalId).ToListAsync();
        var orphanTokens = await db.TokenIndex.CountAsync(i => !db.Resources.Any(r => r.Id == i.ResourceRowId));
        var orphanStrings = await db.StringIndex.CountAsync(i => !db.Resources.Any(r => r.Id == i.ResourceRowId));
        var orphanDates = await db.DateIndex.CountAsync(i => !db.Resources.Any(r => r.Id == i.ResourceRowId));
        var orphanReferences = await db.ReferenceIndex.CountAsync(i => !db.Resources.Any(r => r.Id == i.ResourceRowId));
        var unindexedDocuments = await db.Resources.CountAsync(r => r.ResourceType == "DocumentReference" && r.IsCurrent && !r.IsDeleted
            && !db.TokenIndex.Any(i => i.ResourceRowId == r.Id));
        var orphanBinaries = await db.Binaries.CountAsync(b => !db.Resources.Any(r => r.ResourceType == "DocumentReference" && r.LogicalId == b.DocumentId));
        Assert.Multiple(() =>
        {
            Assert.That(notOneCurrent, Is.Empty, "resources without exactly one current version");
            Assert.That(orphanTokens + orphanStrings + orphanDates + orphanReferences, Is.Zero, "index rows of no stored resource");
            Assert.That(unindexedDocuments, Is.Zero, "current documents without index rows");
            Assert.That(orphanBinaries, Is.Zero, "binaries of no stored document");
        });

        var chain = await VerifyAuditCommand.VerifyAsync(db);
        Assert.That(chain.IsIntact, Is.True, $"audit chain: {chain.Broken?.Reason}");
    }

    /// <summary>A write the server acknowledged with a 2xx: what must be there after any crash.</summary>
    private sealed record Write(string Type, string Id, byte[]? Content);

    /// <summary>
    /// A mixed load of one professional on one record: documents with content, allergies, reads and searches. Only
    /// answers that arrived with a 2xx are remembered; requests cut off by the kill are counted, not trusted.
    /// </summary>
    private sealed class Load(string token)
    {
        private string? _patientId;
        private long _sent, _unanswered;

        public string Token => token;
        public ConcurrentBag<Write> AcknowledgedWrites { get; } = [];
        public ConcurrentDictionary<string, int> AcknowledgedReads { get; } = new();
        public long Sent => Interlocked.Read(ref _sent);
        public long Unanswered => Interlocked.Read(ref _unanswered);

        public async Task RunAsync(Uri server, TimeSpan beforeKill, Action kill)
        {
            using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(30) };
            var fhir = new FhirHttp(http, token);
            if (_patientId is null)
            {
                var patient = await fhir.CreatedAsync(new PatientBuilder().Build());
                _patientId = patient.Id;
                AcknowledgedWrites.Add(new Write("Patient", patient.Id!, null));
            }

            // Warm up (the first request of each kind compiles its code paths), so that the timed load is a real load.
            for (var kind = 0; kind < 4; kind++)
            {
                Interlocked.Increment(ref _sent);
                await OneAsync(fhir, kind);
            }

            using var stop = new CancellationTokenSource();
            var workers = Enumerable.Range(0, Workers).Select(w => Task.Run(() => WorkAsync(fhir, w, stop.Token))).ToList();
            await Task.Delay(beforeKill);
            kill(); // mid-flight: the workers have requests outstanding
            stop.Cancel();
            await Task.WhenAll(workers);
        }

        private async Task WorkAsync(FhirHttp fhir, int worker, CancellationToken stop)
        {
            var random = new Random(worker);
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                Interlocked.Increment(ref _sent);
                try
                {
                    await OneAsync(fhir, random.Next(4));
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    Interlocked.Increment(ref _unanswered);
                    return; // the server is gone
                }
            }
        }

        private async Task OneAsync(FhirHttp fhir, int kind)
        {
            switch (kind)
            {
                case 0:
                    var content = TestPdf.Create();
                    var created = await fhir.CreateAsync(DocumentBuilder.For(_patientId!).Content(content).Build());
                    if (created.Status == HttpStatusCode.Created)
                    {
                        AcknowledgedWrites.Add(new Write("DocumentReference", created.Resource<DocumentReference>().Id!, content));
                    }

                    break;
                case 1:
                    var allergy = await fhir.CreateAsync(AllergyBuilder.For(_patientId!).Build());
                    if (allergy.Status == HttpStatusCode.Created)
                    {
                        AcknowledgedWrites.Add(new Write("AllergyIntolerance", allergy.Resource<AllergyIntolerance>().Id!, null));
                    }

                    break;
                case 2:
                    var known = AcknowledgedWrites.FirstOrDefault(w => w.Type == "DocumentReference");
                    await ReadAsync(fhir, known is null ? $"/fhir/Patient/{_patientId}" : $"/fhir/DocumentReference/{known.Id}");
                    break;
                default:
                    await ReadAsync(fhir, $"/fhir/DocumentReference?patient={_patientId}&_count=5");
                    break;
            }
        }

        private async Task ReadAsync(FhirHttp fhir, string path)
        {
            var read = await fhir.GetAsync(path[1..]);
            if (read.Status == HttpStatusCode.OK)
            {
                AcknowledgedReads.AddOrUpdate(path, 1, (_, n) => n + 1);
            }
        }
    }
}
