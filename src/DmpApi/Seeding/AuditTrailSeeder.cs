using System.Globalization;
using DmpApi.Audit;
using DmpApi.Storage;

namespace DmpApi.Seeding;

/// <summary>
/// `seed --audit-records N [--audit-chains K]`: a big audit trail for measuring `verify-audit`, written through the
/// trail's own batch store (<see cref="DatabaseAuditBatchStore"/>) by K writers taking turns, as K instances would: K
/// chains, each anchored, with reads of seeded-looking records.
/// </summary>
internal static class AuditTrailSeeder
{
    private const int BatchSize = 5_000;

    public static async Task SeedAsync(IServiceProvider services, long count, int chains, TextWriter progress)
    {
        var scopes = services.GetRequiredService<IServiceScopeFactory>();
        var writeGate = services.GetRequiredService<WriteGate>();
        var clock = services.GetRequiredService<TimeProvider>();
        var writers = Enumerable.Range(0, chains).Select(_ => new DatabaseAuditBatchStore(scopes, writeGate, clock)).ToList();
        var start = clock.GetUtcNow().UtcDateTime;
        for (long written = 0, batch = 0; written < count; batch++)
        {
            var size = (int)Math.Min(BatchSize, count - written);
            var records = Enumerable.Range(0, size).Select(i => Record(start.AddMilliseconds(written + i), written + i)).ToList();
            await writers[(int)(batch % chains)].WriteAsync(records, CancellationToken.None);
            written += size;
            if (batch % 20 == 0 || written == count)
            {
                await progress.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{written:N0}/{count:N0} audit records"));
            }
        }
    }

    private static AuditRecord Record(DateTime at, long n)
    {
        var patient = $"seed-patient-{n % 100_000:D6}";
        return new AuditRecord
        {
            RecordedAt = at,
            PatientId = patient,
            RequesterKind = "Professional",
            Subject = "810001234567",
            IdNatPs = "810001234567",
            Name = "Dr Seed",
            Profession = "10",
            PurposeOfUse = "TREAT",
            Interaction = n % 5 == 0 ? "search-type" : "read",
            Method = "GET",
            Path = n % 5 == 0 ? $"/fhir/DocumentReference?patient={patient}" : $"/fhir/Patient/{patient}",
            ResourceType = n % 5 == 0 ? "DocumentReference" : "Patient",
            ResourceIds = $"Patient/{patient}",
            HttpStatus = 200,
            Outcome = 0,
            ClientAddress = "127.0.0.1",
            RequestId = $"seed-{n}",
        };
    }
}
