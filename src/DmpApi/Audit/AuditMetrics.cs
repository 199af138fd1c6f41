using System.Diagnostics.Metrics;

namespace DmpApi.Audit;

/// <summary>
/// The audit trail's instruments (meter DmpApi.Audit): how many records wait for the writer, and how long a batch takes
/// to commit. A growing queue or commit time is what turns into 503s first. Made by the host's meter factory, so each
/// host (and each test application) observes its own trail and disposes its meter with it.
/// </summary>
public sealed class AuditMetrics
{
    public const string MeterName = "DmpApi.Audit";

    private readonly Histogram<double> _commitDuration;
    private readonly Counter<long> _committed;

    public AuditMetrics(IMeterFactory meters, AuditTrail trail)
    {
        var meter = meters.Create(MeterName);
        meter.CreateObservableGauge("dmpapi.audit.queue.depth", () => trail.QueueDepth, unit: "{record}",
            description: "Audit records waiting for the writer.");
        _commitDuration = meter.CreateHistogram<double>("dmpapi.audit.commit.duration", unit: "s",
            description: "Time to commit one batch of audit records.");
        _committed = meter.CreateCounter<long>("dmpapi.audit.records.committed", unit: "{record}",
            description: "Audit records made durable.");
    }

    internal void BatchCommitted(int records, TimeSpan duration)
    {
        _commitDuration.Record(duration.TotalSeconds);
        _committed.Add(records);
    }
}
