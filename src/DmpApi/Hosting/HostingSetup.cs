using System.Net;
using DmpApi.Fhir;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.AspNetCore.Http.Features;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace DmpApi.Hosting;

/// <summary>
/// What an operator needs around the FHIR API: the public URL and trusted proxies, request ids, health endpoints,
/// OpenTelemetry traces and metrics, and the console log format.
/// </summary>
public static class HostingSetup
{
    /// <summary>Every instrument of the application lives in a meter or activity source named DmpApi.{Feature}.</summary>
    public const string InstrumentPrefix = "DmpApi.";

    public static WebApplicationBuilder AddDmpHosting(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<PublicUrlOptions>().BindConfiguration(PublicUrlOptions.Section)
            .Validate(o => string.IsNullOrEmpty(o.PublicBaseUrl) || Uri.TryCreate(o.PublicBaseUrl, UriKind.Absolute, out _),
                "Hosting:PublicBaseUrl must be an absolute URL, e.g. https://dmp.example.fr")
            .ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<Microsoft.Extensions.Options.IOptions<PublicUrlOptions>>((forwarded, urls) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // Only the proxies the operator names are believed; by default just loopback, as ASP.NET Core does.
            foreach (var proxy in urls.Value.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in urls.Value.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });

        var telemetry = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        if (telemetry.JsonConsoleLogs)
        {
            builder.Logging.AddJsonConsole(json => json.UseUtcTimestamp = true);
        }

        // Without an exporter nothing would read the spans: listening would only cost every request an Activity and its tags.
        // The meters still count, for dotnet-counters or a MeterListener.
        if (!string.IsNullOrWhiteSpace(telemetry.OtlpEndpoint))
        {
            var otel = services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService(telemetry.ServiceName))
                .WithTracing(tracing => tracing
                    .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = http => !IsProbe(http.Request.Path))
                    .AddSource(InstrumentPrefix + "*"))
                .WithMetrics(metrics => metrics
                    .AddAspNetCoreInstrumentation()
                    .AddMeter(InstrumentPrefix + "*"));
            otel.UseOtlpExporter(telemetry.OtlpProtocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf, new Uri(telemetry.OtlpEndpoint));
            services.Configure<MetricReaderOptions>(reader =>
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = telemetry.MetricExportIntervalMilliseconds);
        }

        return builder;
    }

    /// <summary>First in the pipeline: the request id is known to every log line and to the audit record.</summary>
    public static IApplicationBuilder UseRequestIds(this IApplicationBuilder app) => app.UseMiddleware<RequestIdMiddleware>();

    /// <summary>
    /// The proxy's scheme, host and client address replace the connection's own when the proxy is a trusted one; then every
    /// request's duration metric and span are tagged with its FHIR interaction (endpoint metadata, not route text).
    /// </summary>
    public static IApplicationBuilder UseProxyAndTelemetry(this IApplicationBuilder app)
    {
        app.UseForwardedHeaders();
        return app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<FhirOperation>() is { } operation)
            {
                var interaction = operation.Code; // the restful-interaction code: read, vread, search-type…
                if (context.Features.Get<IHttpMetricsTagsFeature>() is { } tags)
                {
                    tags.Tags.Add(new("fhir.interaction", interaction));
                    tags.Tags.Add(new("fhir.resource_type", operation.ResourceType));
                }

                System.Diagnostics.Activity.Current?.SetTag("fhir.interaction", interaction).SetTag("fhir.resource_type", operation.ResourceType);
            }

            return next(context);
        });
    }

    /// <summary>
    /// /alive: the process answers (no check). /ready and its alias /healthz: every registered check, i.e. the database
    /// answers (Storage) and the audit queue has room (Audit).
    /// </summary>
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/alive", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/ready").AllowAnonymous();
        app.MapHealthChecks("/healthz").AllowAnonymous();
        return app;
    }

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/alive") || path.StartsWithSegments("/ready") || path.StartsWithSegments("/healthz");
}
