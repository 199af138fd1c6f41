using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using DmpApi.Audit;
using DmpApi.Storage;

namespace DmpApi.Tests.Reliability;

/// <summary>
/// A fleet, not a node: the real server started as three processes (Production environment, as a Release build runs)
/// on one PostgreSQL database, sharing nothing but the database and their configuration, driven at once with reads,
/// searches and creates through all three. Then: no 5xx, every answered request has its audit record, every
/// acknowledged write is readable from every instance, `verify-audit` passes (one chain per instance), a page token
/// from one instance works on another, and a Consent revoked on one instance denies on the next request to another.
/// </summary>
[NonParallelizable]
public sealed class FleetTests
{
    private const int Instances = 3;
    private const int WorkersPerInstance = 3;
    private const int RequestsPerWorker = 50;
    private const string OtherDoctor = "810007070707";

    /// <summary>The configuration every instance shares (as a deployment's would): the token key and the page-token key.</summary>
    private static readonly Dictionary<string, string> Shared = new()
    {
        ["Auth__SigningKey"] = DmpApiApplication.Auth.SigningKey!,
        ["Auth__Issuer"] = DmpApiApplication.Auth.Issuer!,
        ["Auth__Audience"] = DmpApiApplication.Auth.Audience!,
        ["Search__PageTokenKey"] = "fleet-test-page-token-key-shared-by-the-three-instances",
    };

    [Test]
    public async Task Three_instances_on_one_PostgreSQL_serve_one_consistent_audited_record()
    {
        var clock = Stopwatch.StartNew();
        await using var database = await new PostgreSqlStore().CreateDatabaseAsync();
        var fleet = new List<ServerProcess>();
        try
        {
            // Migrations run once, on the first instance; the others start on the migrated schema.
            fleet.Add(await ServerProcess.StartAsync(database, portOffset: 60, "Production", Shared));
            fleet.AddRange(await Task.WhenAll(Enumerable.Range(1, Instances - 1).Select(i =>
                ServerProcess.StartAsync(database, portOffset: 60 + i * 3, "Production", new Dictionary<string, string>(Shared) { ["Database__MigrateOnStartup"] = "false" }))));
            var started = clock.Elapsed;
            var clients = fleet.Select(s => new FhirHttp(new HttpClient { BaseAddress = s.BaseAddress, Timeout = TimeSpan.FromSeconds(30) }, Tokens.Professional())).ToList();

            var load = new MixedLoad(await clients[0].CreatedAsync(new PatientBuilder().Build()));
            await Task.WhenAll(clients.SelectMany((client, instance) => Enumerable.Range(0, WorkersPerInstance)
                .Select(worker => Task.Run(() => load.RunAsync(client, seed: instance * 100 + worker, RequestsPerWorker)))));

            var loaded = clock.Elapsed;
            Assert.That(load.ServerErrors, Is.Empty, () => $"5xx answers:\n{string.Join("\n", load.ServerErrors)}\n{string.Join("\n", fleet.Select(s => s.Output))}");
            await EveryAcknowledgedWriteIsReadableFromEveryInstanceAsync(load, clients);
            await EveryAnsweredRequestHasItsAuditRecordAsync(database, load);
            await APageTokenFromOneInstanceWorksOnAnotherAsync(load, clients);
            await AConsentRevokedOnOneInstanceDeniesOnTheNextRequestToAnotherAsync(clients);

            var checkedAt = clock.Elapsed;
            var (code, output) = await ServerProcess.RunCommandAsync(database, "Production", Shared, "verify-audit");
            Assert.That(code, Is.Zero, output);
            Assert.That(output, Does.Contain($"in {Instances} chains verified"), output);
            TestContext.Progress.WriteLine(
                $"FLEET: {Instances} instances, {load.Answered.Values.Sum()} requests answered ({load.Writes.Count} creates), 0 5xx, " +
                $"every answer audited, {output.Trim().Split('\n')[^1]} " +
                $"(started in {started.TotalSeconds:0} s, load {(loaded - started).TotalSeconds:0} s, checks {(checkedAt - loaded).TotalSeconds:0} s, verify-audit {(clock.Elapsed - checkedAt).TotalSeconds:0} s)");
        }
        finally
        {
            foreach (var server in fleet)
            {
                server.Dispose();
            }
        }
    }

    private static async Task EveryAcknowledgedWriteIsReadableFromEveryInstanceAsync(MixedLoad load, List<FhirHttp> clients)
    {
        Assert.That(load.Writes, Is.Not.Empty, "the load created resources");
        var reads = await Task.WhenAll(load.Writes.SelectMany(id => clients.Select(async (client, instance) =>
            (id, instance, read: await client.GetAsync($"fhir/AllergyIntolerance/{id}")))));
        Assert.That(reads.Where(r => r.read.Status != HttpStatusCode.OK).Select(r => $"AllergyIntolerance/{r.id} on instance {r.instance}: {r.read}"),
            Is.Empty, "acknowledged creates not readable from every instance");
    }

    private static async Task EveryAnsweredRequestHasItsAuditRecordAsync(TestDatabase database, MixedLoad load)
    {
        await using var db = database.Open();
        var traced = (await db.AuditRecords.AsNoTracking().Select(r => new { r.Path, r.HttpStatus }).ToListAsync())
            .GroupBy(r => (r.Path, r.HttpStatus)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Multiple(() =>
        {
            foreach (var ((path, status), count) in load.Answered)
            {
                Assert.That(traced.GetValueOrDefault((path, status)), Is.GreaterThanOrEqualTo(count), $"{count} answers {status} to {path}, fewer audit records");
            }
        });
    }

    private static async Task APageTokenFromOneInstanceWorksOnAnotherAsync(MixedLoad load, List<FhirHttp> clients)
    {
        var first = await clients[0].SearchBundleAsync("AllergyIntolerance", $"patient={load.PatientId}&_count=2");
        var next = first.LinkUrl("next");
        for (var instance = 1; instance < clients.Count; instance++)
        {
            var page = await clients[instance].GetAsync(next);
            Assert.That(page.Status, Is.EqualTo(HttpStatusCode.OK), $"instance 0's page token on instance {instance}: {page}");
            Assert.That(page.Resource<Bundle>().Entry, Is.Not.Empty);
        }
    }

    private static async Task AConsentRevokedOnOneInstanceDeniesOnTheNextRequestToAnotherAsync(List<FhirHttp> clients)
    {
        var builder = new PatientBuilder();
        var patient = await clients[0].CreatedAsync(builder.Build());
        var asPatientOnFirst = clients[0].As(Tokens.Patient(builder.Ins!));
        var permit = await asPatientOnFirst.CreatedAsync(ConsentBuilder.For(patient).Permitting(OtherDoctor).Build());
        var otherOnSecond = clients[1].As(Tokens.Professional(OtherDoctor));
        var otherOnThird = clients[2].As(Tokens.Professional(OtherDoctor));
        Assert.That((await otherOnSecond.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.OK), "arrange: permitted, and cached on instance 1");

        permit.Status = Consent.ConsentState.Inactive;
        Assert.That((await asPatientOnFirst.UpdateAsync(permit)).Status, Is.EqualTo(HttpStatusCode.OK), "arrange: the patient revokes the permit on instance 0");

        Assert.Multiple(async () =>
        {
            Assert.That((await otherOnSecond.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.Forbidden), "instance 1");
            Assert.That((await otherOnThird.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.Forbidden), "instance 2");
        });
    }

    /// <summary>70% reads, 20% searches, 10% creates on one record; remembers every answer and every acknowledged create.</summary>
    private sealed class MixedLoad(Patient patient)
    {
        public string PatientId => patient.Id!;
        public ConcurrentBag<string> Writes { get; } = [];
        public ConcurrentDictionary<(string Path, int Status), int> Answered { get; } = new();
        public ConcurrentBag<string> ServerErrors { get; } = [];

        public async Task RunAsync(FhirHttp fhir, int seed, int requests)
        {
            var random = new Random(seed);
            for (var i = 0; i < requests; i++)
            {
                var roll = random.Next(10);
                if (roll == 0 || Writes.IsEmpty)
                {
                    var created = await fhir.CreateAsync(AllergyBuilder.For(PatientId).Build());
                    Note("/fhir/AllergyIntolerance", created);
                    if (created.Status == HttpStatusCode.Created)
                    {
                        Writes.Add(created.Resource<AllergyIntolerance>().Id!);
                    }

                    continue;
                }

                var path = roll <= 2
                    ? $"/fhir/AllergyIntolerance?patient={PatientId}&_count=5"
                    : random.Next(2) == 0 ? $"/fhir/Patient/{PatientId}" : $"/fhir/AllergyIntolerance/{Writes.ElementAt(random.Next(Writes.Count))}";
                Note(path, await fhir.GetAsync(path[1..]));
            }
        }

        private void Note(string path, FhirResponse response)
        {
            Answered.AddOrUpdate((path, (int)response.Status), 1, (_, n) => n + 1);
            if ((int)response.Status >= 500)
            {
                ServerErrors.Add($"{(int)response.Status} {path}: {response.Text}");
            }
        }
    }
}
