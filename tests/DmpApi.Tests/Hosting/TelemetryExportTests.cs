using System.Collections.Concurrent;
using DmpApi.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Hosting;

/// <summary>Telemetry:OtlpEndpoint switches the OTLP exporter on: traces and metrics reach a collector.</summary>
public sealed class TelemetryExportTests
{
    [Test]
    public async Task With_an_OTLP_endpoint_configured_traces_and_metrics_reach_the_collector()
    {
        await using var collector = await FakeCollector.StartAsync();
        await using var database = await new SqliteStore().CreateDatabaseAsync();
        await using var app = new DmpApiApplication(database, new Dictionary<string, string?>
        {
            ["Telemetry:OtlpEndpoint"] = collector.Url,
            ["Telemetry:OtlpProtocol"] = "http/protobuf",
            ["Telemetry:MetricExportIntervalMilliseconds"] = "200",
        });
        var fhir = new FhirHttp(app.CreateClient(), Tokens.Professional());

        await fhir.GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !(collector.Received.ContainsKey("/v1/traces") && collector.Received.ContainsKey("/v1/metrics")))
        {
            await System.Threading.Tasks.Task.Delay(100);
        }

        Assert.That(collector.Received.Keys, Is.SupersetOf(new[] { "/v1/traces", "/v1/metrics" }));
    }

    [Test]
    public async Task Without_an_OTLP_endpoint_nothing_is_exported()
    {
        await using var collector = await FakeCollector.StartAsync();
        await using var database = await new SqliteStore().CreateDatabaseAsync();
        await using var app = new DmpApiApplication(database, new Dictionary<string, string?> { ["Telemetry:MetricExportIntervalMilliseconds"] = "200" });
        var fhir = new FhirHttp(app.CreateClient(), Tokens.Professional());

        await fhir.GetAsync($"fhir/Patient/{Guid.NewGuid():N}");
        await System.Threading.Tasks.Task.Delay(1000);

        Assert.That(collector.Received, Is.Empty);
    }

    /// <summary>An HTTP listener on loopback that accepts OTLP/HTTP posts and counts them by path.</summary>
    private sealed class FakeCollector : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private FakeCollector(WebApplication app, string url) => (_app, Url) = (app, url);

        public string Url { get; }

        public ConcurrentDictionary<string, int> Received { get; } = new();

        public static async Task<FakeCollector> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            FakeCollector? collector = null;
            app.MapPost("/v1/{signal}", async (HttpContext context) =>
            {
                await context.Request.Body.CopyToAsync(Stream.Null);
                collector!.Received.AddOrUpdate(context.Request.Path, 1, (_, n) => n + 1);
                return Results.Ok();
            });
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            collector = new FakeCollector(app, address);
            return collector;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
