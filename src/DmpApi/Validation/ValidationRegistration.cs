namespace DmpApi.Validation;

public static class ValidationRegistration
{
    /// <summary>Compiles the profiles at start, off the request path, so that the first write does not pay for it.</summary>
    public static IServiceCollection AddProfileValidation(this IServiceCollection services) =>
        services.AddHostedService<ProfileWarmup>();

    private sealed class ProfileWarmup(ILogger<ProfileWarmup> logger) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.Run(() =>
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            ProfileValidator.Warm();
            logger.LogInformation("Validation profiles compiled in {ElapsedMs} ms ({ProfileCount} profiles)",
                (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, ProfileValidator.Instance.Profiles.Count);
        }, stoppingToken);
    }
}
