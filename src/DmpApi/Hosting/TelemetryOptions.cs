using System.ComponentModel.DataAnnotations;

namespace DmpApi.Hosting;

/// <summary>Configuration section "Telemetry": OpenTelemetry export and the log format (DESIGN §1, operable in production).</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>OTLP collector, e.g. http://otel-collector:4317; empty: traces and metrics are collected but not exported.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>`grpc` (port 4317) or `http/protobuf` (port 4318).</summary>
    [RegularExpression("^(grpc|http/protobuf)$")]
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>service.name of every span and metric.</summary>
    [Required]
    public string ServiceName { get; set; } = "dmpapi";

    /// <summary>How often metrics are pushed to the collector.</summary>
    [Range(100, 3_600_000)]
    public int MetricExportIntervalMilliseconds { get; set; } = 60_000;

    /// <summary>One JSON object per log line on the console (for a log shipper) instead of the human format.</summary>
    public bool JsonConsoleLogs { get; set; }
}
