namespace DmpApi.Notifications;

/// <summary>
/// The loop of a background job that works in rounds (the mail sender, the unannounced-document sweep): one round now and
/// one per tick, a failed round logged and retried at the next tick, stopping quietly with the host.
/// </summary>
internal static class PeriodicRounds
{
    public static async Task RunAsync(TimeSpan interval, TimeProvider clock, Func<CancellationToken, Task> round, Action<Exception> failed, CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval, clock);
        try
        {
            do
            {
                try
                {
                    await round(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failed(e);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: whatever a round had in hand is settled by the next round of this or another instance.
        }
    }
}
