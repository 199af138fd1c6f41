using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DmpApi.Audit;

/// <summary>
/// Readiness: a full audit queue means new requests wait for room and then answer 503, so the instance should leave the
/// load balancer until the writer catches up; nine tenths full is reported as degraded (still ready).
/// </summary>
internal sealed class AuditQueueHealthCheck(AuditTrail trail) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (depth, capacity) = (trail.QueueDepth, trail.QueueCapacity);
        var data = new Dictionary<string, object> { ["depth"] = depth, ["capacity"] = capacity };
        return Task.FromResult(depth >= capacity
            ? HealthCheckResult.Unhealthy($"The audit queue is full ({depth} of {capacity} records wait for the writer).", data: data)
            : depth > 0 && depth * 10L >= capacity * 9L
                ? HealthCheckResult.Degraded($"The audit queue is {depth} of {capacity} records.", data: data)
                : HealthCheckResult.Healthy(data: data));
    }
}
