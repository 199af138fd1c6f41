using DmpApi.Notifications;
using Microsoft.Extensions.Options;

namespace DmpApi.Lifecycle;

/// <summary>
/// The purge on a schedule (Lifecycle:PurgeInterval, on the injected clock): each round purges the records closed more
/// than Lifecycle:RetentionYears ago. A failed round is logged and the next one resumes where it stopped.
/// </summary>
public sealed class PurgeJob(RecordPurge purge, TimeProvider clock, IOptions<LifecycleOptions> options, ILogger<PurgeJob> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Value.PurgeEnabled)
        {
            return;
        }

        await PeriodicRounds.RunAsync(options.Value.PurgeInterval, clock, async ct =>
            {
                var tally = await purge.PurgeExpiredAsync(dryRun: false, progress: null, ct);
                if (tally.Records > 0)
                {
                    logger.LogInformation("The purge round destroyed {Tally}", tally);
                }
            },
            e => logger.LogError(e, "The purge round failed; the next round resumes it"), stoppingToken);
    }
}

public static class LifecycleRegistration
{
    /// <summary>The purge of records closed more than ten years ago (CSP L1111-18), and its scheduled job.</summary>
    public static IServiceCollection AddRecordLifecycle(this IServiceCollection services, bool withJob = true)
    {
        services.AddOptions<LifecycleOptions>().BindConfiguration(LifecycleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RecordPurge>();
        if (withJob)
        {
            services.AddHostedService<PurgeJob>();
        }

        return services;
    }
}
