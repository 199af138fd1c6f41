using System.Diagnostics.Metrics;
using System.Net;
using DmpApi.Audit;
using DmpApi.Storage;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace DmpApi.Tests.Hosting;

/// <summary>What an operator relies on: request ids on every answer, /alive and /ready, metrics by FHIR interaction.</summary>
public sealed class OperabilityTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task Every_answer_carries_an_X_Request_Id_that_names_its_audit_record()
    {
        var patient = await CreatePatientAsync();

        var read = await Fhir.GetAsync($"fhir/Patient/{patient.Id}");
        var anonymous = await Fhir.As(null).GetAsync($"fhir/Patient/{patient.Id}");
        var metadata = await Fhir.GetAsync("fhir/metadata");

        var ids = new[] { read, anonymous, metadata }.Select(a => a.Headers.TryGetValues("X-Request-Id", out var v) ? v.Single() : null).ToList();
        Assert.That(ids, Has.None.Null.And.Unique, string.Join(", ", ids));
        await using var scope = App.Services.CreateAsyncScope();
        var traced = await scope.ServiceProvider.GetRequiredService<DmpDbContext>().AuditRecords.AsNoTracking()
            .Where(r => r.RequestId == ids[0] || r.RequestId == ids[1]).Select(r => r.RequestId).ToListAsync();
        Assert.That(traced, Is.EquivalentTo(new[] { ids[0], ids[1] }), "the read and the 401 are traced under the id their answer names");
    }

    [Test]
    public async Task A_clients_request_id_is_kept_and_an_unsafe_one_is_replaced()
    {
        var given = $"lgc-{Guid.NewGuid():N}";
        var kept = await Fhir.GetAsync("fhir/metadata", r => r.Headers.Add("X-Request-Id", given));
        var unsafeId = "a b<script>" + new string('x', 80);
        var replaced = await Fhir.GetAsync("fhir/metadata", r => r.Headers.TryAddWithoutValidation("X-Request-Id", unsafeId));

        Assert.Multiple(() =>
        {
            Assert.That(kept.Headers.GetValues("X-Request-Id").Single(), Is.EqualTo(given));
            Assert.That(replaced.Headers.GetValues("X-Request-Id").Single(), Is.Not.EqualTo(unsafeId).And.Not.Empty);
        });
    }

    [Test]
    public async Task Alive_and_ready_answer_200_when_the_database_answers_and_healthz_is_ready()
    {
        var alive = await Fhir.Http.GetAsync("/alive");
        var ready = await Fhir.Http.GetAsync("/ready");
        var healthz = await Fhir.Http.GetAsync("/healthz");

        Assert.Multiple(() =>
        {
            Assert.That(alive.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(healthz.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Access_decisions_are_counted_by_outcome_and_request_durations_by_interaction()
    {
        var (patient, _, _) = await RecordPermittingAsync();
        var stranger = Fhir.As(Tokens.Professional(idNatPs: "8" + Random.Shared.NextInt64(10_000_000_000, 99_999_999_999)));
        var measured = new List<(string Instrument, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name is "dmpapi.access.decisions" or "http.server.request.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, _, tags, _) => Record(i, tags));
        listener.SetMeasurementEventCallback<double>((i, _, tags, _) => Record(i, tags));
        listener.Start();

        var denied = await stranger.GetAsync($"fhir/Patient/{patient.Id}");
        var allowed = await Fhir.GetAsync($"fhir/Patient/{patient.Id}");
        listener.Dispose();

        Assert.That((denied.Status, allowed.Status), Is.EqualTo((HttpStatusCode.Forbidden, HttpStatusCode.OK)));
        List<(string Instrument, Dictionary<string, object?> Tags)> seen;
        lock (measured) seen = [.. measured];
        Assert.Multiple(() =>
        {
            Assert.That(seen.Where(m => m.Instrument == "dmpapi.access.decisions").Select(m => $"{m.Tags["outcome"]}:{m.Tags["reason"]}"),
                Does.Contain("denied:no-permit").And.Contain("allowed:Permit"));
            Assert.That(seen.Where(m => m.Instrument == "http.server.request.duration" && m.Tags.GetValueOrDefault("fhir.resource_type") as string == "Patient")
                .Select(m => m.Tags["fhir.interaction"]), Does.Contain("read"));
        });

        void Record(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags) copy[tag.Key] = tag.Value;
            lock (measured) measured.Add((instrument.Name, copy));
        }
    }
}

/// <summary>A 500 tells the client which request id to quote to the operator.</summary>
public sealed class UnexpectedErrorTests
{
    [Test]
    public async Task A_500_OperationOutcome_names_the_request_id_of_its_answer()
    {
        await using var database = await new SqliteStore().CreateDatabaseAsync();
        await using var app = new DmpApiApplication(database, services: s => s.AddSingleton<IStartupFilter, FailingRoute>());
        var fhir = new FhirHttp(app.CreateClient(), Tokens.Professional());

        var answer = await fhir.GetAsync(FailingRoute.Path);

        var id = answer.Headers.GetValues("X-Request-Id").Single();
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.InternalServerError), answer.ToString());
        Assert.That(answer.Diagnostics, Does.Contain(id));
    }

    /// <summary>An unmatched path that throws, after the application's own pipeline (as a bug in a handler would).</summary>
    private sealed class FailingRoute : IStartupFilter
    {
        public const string Path = "/test-failure";

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            next(app);
            app.Use((context, following) => context.Request.Path == Path ? throw new InvalidOperationException("a bug") : following(context));
        };
    }
}

/// <summary>/ready leaves the load balancer when the audit queue is full; /alive still answers (DESIGN §1).</summary>
public sealed class ReadinessTests
{
    [Test]
    public async Task Ready_answers_503_while_the_audit_queue_is_full_and_alive_still_answers_200()
    {
        await using var database = await new SqliteStore().CreateDatabaseAsync();
        var stuck = new StuckAuditStore();
        await using var app = new DmpApiApplication(database,
            new Dictionary<string, string?> { ["Audit:QueueCapacity"] = "1", ["Audit:CommitTimeoutSeconds"] = "20" },
            services: s => s.AddSingleton<IAuditBatchStore>(stuck));
        var http = app.CreateClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Tokens.Professional());
        Assert.That((await http.GetAsync("/ready")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "Arrange: ready before the queue fills");

        // The first record is taken by the writer, which then hangs in the database; the second waits in the queue.
        var first = http.GetAsync($"/fhir/Patient/{Guid.NewGuid():N}");
        await stuck.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var second = http.GetAsync($"/fhir/Patient/{Guid.NewGuid():N}");
        var trail = app.Services.GetRequiredService<AuditTrail>();
        for (var i = 0; i < 100 && trail.QueueDepth < 1; i++) await System.Threading.Tasks.Task.Delay(50);

        var ready = await http.GetAsync("/ready");
        var alive = await http.GetAsync("/alive");
        stuck.Release.SetResult();
        await System.Threading.Tasks.Task.WhenAll(first, second);

        Assert.Multiple(() =>
        {
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(alive.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    private sealed class StuckAuditStore : IAuditBatchStore
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async System.Threading.Tasks.Task WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Release.Task;
        }
    }
}

/// <summary>The console speaks JSON when the operator asks (Telemetry:JsonConsoleLogs), for a log shipper.</summary>
public sealed class LogFormatTests
{
    [Test]
    public async Task Json_console_logs_are_switched_on_by_configuration()
    {
        await using var database = await new SqliteStore().CreateDatabaseAsync();
        await using var plain = new DmpApiApplication(database);
        await using var json = new DmpApiApplication(database, new Dictionary<string, string?> { ["Telemetry:JsonConsoleLogs"] = "true" });

        Assert.Multiple(() =>
        {
            Assert.That(plain.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName, Is.Not.EqualTo("json"));
            Assert.That(json.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName, Is.EqualTo("json"));
        });
    }
}
