using System.Diagnostics;
using System.Globalization;
using DmpApi.Audit;
using DmpApi.Storage;

namespace DmpApi.Lifecycle;

/// <summary>
/// `purge [--dry-run] [--as-of DAY]`: destroys the clinical content of the records closed more than Lifecycle:RetentionYears ago, with a
/// progress bar on stderr; `--dry-run` prints what it would destroy and changes nothing; `--as-of` decides as if on that day (a forecast, or a rehearsal on a copy). Run it again after a crash: it
/// resumes (each record is purged in its own transaction, a purged record is not found again).
/// </summary>
internal static class PurgeCommand
{
    public static async Task<int> RunAsync(WebApplicationBuilder builder, string[] args)
    {
        var dryRun = args.Contains("--dry-run");
        var asOfIndex = Array.IndexOf(args, "--as-of");
        DateTimeOffset? asOf = null;
        if (asOfIndex >= 0)
        {
            if (asOfIndex + 1 >= args.Length || !DateTimeOffset.TryParse(args[asOfIndex + 1], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var day))
            {
                Console.Error.WriteLine("Usage: purge [--dry-run] [--as-of 2036-12-31]");
                return 2;
            }

            asOf = day;
            // Deciding on another day than today: a forecast with --dry-run, or a rehearsal on a copy of the data.
            Console.Error.WriteLine($"Deciding as of {day:yyyy-MM-dd}, not today.");
        }

        builder.Services.AddRecordStore(builder.Configuration, builder.Environment);
        builder.Services.AddAuditTrail();
        builder.Services.AddRecordLifecycle(withJob: false);
        if (asOf is { } instant)
        {
            builder.Services.AddSingleton<TimeProvider>(new FixedClock(instant));
        }

        await using var app = builder.Build();
        await app.Services.MigrateRecordStoreAsync();
        // The audit writer runs (and no web server): each purge is traced before it destroys anything.
        var writer = app.Services.GetRequiredService<AuditWriter>();
        await writer.StartAsync(CancellationToken.None);

        var clock = Stopwatch.StartNew();
        var purge = app.Services.GetRequiredService<RecordPurge>();
        var tally = await purge.PurgeExpiredAsync(dryRun, (done, total) => Bar(done, total, clock.Elapsed), CancellationToken.None);
        Console.Error.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(dryRun ? "Would destroy" : "Destroyed")} {tally} in {clock.Elapsed.TotalSeconds:0.0} s."));
        await writer.StopAsync(CancellationToken.None);
        return 0;
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private static void Bar(int done, int total, TimeSpan elapsed)
    {
        const int width = 30;
        var filled = (int)((long)width * done / Math.Max(total, 1));
        Console.Error.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r[{new string('#', filled)}{new string('.', width - filled)}] {done:N0}/{total:N0} records, {elapsed:mm\\:ss}"));
    }
}
