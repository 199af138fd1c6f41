using System.ComponentModel.DataAnnotations;

namespace DmpApi.Lifecycle;

/// <summary>Lifecycle: how long a closed record is kept (CSP L1111-18: ten years) and how often the purge job looks for expired ones.</summary>
public sealed class LifecycleOptions
{
    public const string Section = "Lifecycle";

    /// <summary>Years a closed record is kept after its closure before its clinical content is destroyed.</summary>
    [Range(1, 100)]
    public int RetentionYears { get; set; } = 10;

    /// <summary>Whether this instance runs the purge job; several instances may (each record is purged in one guarded transaction).</summary>
    public bool PurgeEnabled { get; set; } = true;

    /// <summary>Time between two rounds of the purge job (the first runs at start).</summary>
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Records looked at per query while purging.</summary>
    [Range(1, 10_000)]
    public int PurgeBatchSize { get; set; } = 500;

    /// <summary>Records purged at the same time by one round.</summary>
    [Range(1, 64)]
    public int PurgeParallelism { get; set; } = 8;

    /// <summary>$everything with _binary=inline: the largest Binary put inline (bytes); larger ones stay links.</summary>
    [Range(0, 64 * 1024 * 1024)]
    public int InlineBinaryLimit { get; set; } = 1024 * 1024;
}
