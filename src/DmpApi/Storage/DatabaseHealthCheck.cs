using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace DmpApi.Storage;

/// <summary>Readiness: the store answers a trivial query.</summary>
internal sealed class DatabaseHealthCheck(DmpDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await db.Database.CanConnectAsync(cancellationToken)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("The database does not answer.");
}
