namespace DmpApi.Validation;

public static class ValidationRegistration
{
    /// <summary>
    /// Generates the profiles' snapshots and compiles the schemas of the types the server writes before it takes
    /// requests (once per process), so that no write pays for it; <paramref name="writtenTypes"/> are the REST types.
    /// </summary>
    public static IServiceCollection AddProfileValidation(this IServiceCollection services, IEnumerable<string> writtenTypes) =>
        services.AddHostedService(provider => new ProfileWarmup(writtenTypes.Append("Bundle").ToList(), provider.GetRequiredService<ILogger<ProfileWarmup>>()));

    private sealed class ProfileWarmup(IReadOnlyList<string> types, ILogger<ProfileWarmup> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            ProfileValidator.Warm(types);
            logger.LogInformation("Validation ready in {ElapsedMs} ms: {ProfileCount} profiles, {TypeCount} core types",
                (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, ProfileValidator.Instance.Profiles.Count, types.Count);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
