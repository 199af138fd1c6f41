using System.ComponentModel.DataAnnotations;

namespace DmpApi.Audit;

/// <summary>Configuration section "Audit": the group commit of the audit trail (DESIGN §2).</summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    /// <summary>Most records one transaction commits.</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>Records waiting for the writer; when full, requests wait for room (bounded by <see cref="CommitTimeoutSeconds"/>).</summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>How long a request waits for its record to be committed before it answers 503.</summary>
    [Range(1, 600)]
    public int CommitTimeoutSeconds { get; set; } = 10;
}
