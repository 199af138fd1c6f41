using System.Globalization;
using DmpApi.Access;
using DmpApi.Endpoints;
using DmpApi.Storage;

namespace DmpApi.Seeding;

/// <summary>
/// `seed --patients N --documents-per-patient M [--patients-per-transaction K] [--idnps 810001234567] [--ids FILE] [--closed-percent P]`:
/// migrates, then fills the configured database (the bench's data set); FILE gets one line per document for load scripts.
/// `seed --audit-records N [--audit-chains K]` writes an audit trail of N records in K chains instead (for verify-audit).
/// </summary>
internal static class SeedCommand
{
    public static async Task<int> RunAsync(WebApplicationBuilder builder, string[] args)
    {
        string? Option(string name)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        int Count(string name, int fallback) =>
            Option(name) is { } text ? int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture) : fallback;

        if (Option("audit-records") is { } auditRecords)
        {
            return await SeedAuditTrailAsync(builder, long.Parse(auditRecords, NumberStyles.None, CultureInfo.InvariantCulture), Count("audit-chains", 3));
        }

        SeedPlan plan;
        try
        {
            plan = new SeedPlan(Count("patients", 0), Count("documents-per-patient", 10), Math.Max(1, Count("patients-per-transaction", 50)),
                Option("idnps") ?? "810001234567", Option("ids")) { ClosedPercent = Math.Clamp(Count("closed-percent", 0), 0, 100) };
        }
        catch (FormatException)
        {
            plan = new SeedPlan(0, 0, 1, string.Empty, null);
        }

        if (plan.Patients <= 0 || plan.DocumentsPerPatient < 0)
        {
            Console.Error.WriteLine("Usage: seed --patients N --documents-per-patient M [--patients-per-transaction 50] [--idnps 810001234567] [--ids FILE] [--closed-percent P]\n   or: seed --audit-records N [--audit-chains 3]");
            return 2;
        }

        builder.Services.AddRecordStore(builder.Configuration, builder.Environment);
        builder.Services.AddFhirApi();
        builder.Services.AddAccessRules();
        builder.Services.AddSingleton<RecordSeeder>();
        await using var app = builder.Build();
        await app.Services.MigrateRecordStoreAsync();

        var started = DateTime.UtcNow;
        var seeder = app.Services.GetRequiredService<RecordSeeder>();
        var documents = await seeder.SeedAsync(plan, Console.Error, CancellationToken.None);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Seeded {plan.Patients:N0} records and {documents:N0} documents in {DateTime.UtcNow - started:hh\\:mm\\:ss} (building rows {seeder.StagingTime:hh\\:mm\\:ss} over {seeder.Builders} builders, saving {seeder.SavingTime:hh\\:mm\\:ss}, overlapping; building indexes {seeder.IndexingTime:hh\\:mm\\:ss})."));
        return 0;
    }

    private static async Task<int> SeedAuditTrailAsync(WebApplicationBuilder builder, long records, int chains)
    {
        builder.Services.AddRecordStore(builder.Configuration, builder.Environment);
        builder.Services.AddSingleton(TimeProvider.System);
        await using var app = builder.Build();
        await app.Services.MigrateRecordStoreAsync();
        var started = DateTime.UtcNow;
        await AuditTrailSeeder.SeedAsync(app.Services, records, Math.Max(1, chains), Console.Error);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Seeded {records:N0} audit records in {Math.Max(1, chains)} chains in {DateTime.UtcNow - started:hh\\:mm\\:ss}."));
        return 0;
    }
}
