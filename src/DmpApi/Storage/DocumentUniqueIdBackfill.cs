using DmpApi.Fhir;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Storage;

/// <summary>
/// Registers the uniqueIds of the documents stored before the DocumentUniqueIds table existed, once, when its migration
/// is applied: the masterIdentifier lives in the compressed resource JSON, out of SQL's reach, so the migration cannot copy
/// it. The oldest document keeps a uniqueId that several documents share (stored before duplicates were refused); the
/// others are logged, not changed: nothing stored is rewritten.
/// </summary>
public static class DocumentUniqueIdBackfill
{
    /// <summary>The migration whose table this fills (its name without the timestamp, the same for the three providers).</summary>
    public const string MigrationName = "DocumentUniqueIds";

    private const int Chunk = 500;

    public static async Task<(int Registered, int Shared)> RunAsync(DmpDbContext db, ILogger logger, CancellationToken ct)
    {
        var known = new HashSet<(string System, string Value)>();
        await foreach (var row in db.DocumentUniqueIds.AsNoTracking().Select(r => new { r.System, r.Value }).AsAsyncEnumerable().WithCancellation(ct))
        {
            known.Add((row.System, row.Value));
        }

        var owners = new Dictionary<(string System, string Value), string>();
        var (registered, shared, lastId) = (0, 0, 0L);
        while (true)
        {
            var rows = await db.Resources.AsNoTracking()
                .Where(r => r.ResourceType == "DocumentReference" && r.Id > lastId && !r.IsDeleted)
                .OrderBy(r => r.Id).Take(Chunk)
                .Select(r => new { r.Id, r.LogicalId, r.PatientId, r.Data })
                .ToListAsync(ct);
            if (rows.Count == 0)
            {
                break;
            }

            lastId = rows[^1].Id;
            foreach (var row in rows)
            {
                if (FhirWire.DeserializeStored(ResourceCompression.Decompress(row.Data)) is not DocumentReference { MasterIdentifier.Value: { Length: > 0 } value } document)
                {
                    continue;
                }

                var key = (document.MasterIdentifier.System ?? string.Empty, value);
                if (owners.TryGetValue(key, out var owner))
                {
                    if (owner != row.LogicalId)
                    {
                        shared++;
                        logger.LogWarning("Document {DocumentId} shares uniqueId {System}|{Value} with the older document {OwnerId}, which keeps it", row.LogicalId, key.Item1, value, owner);
                    }

                    continue;
                }

                owners[key] = row.LogicalId;
                if (known.Add(key) && key.Item1.Length <= 128 && value.Length <= 256)
                {
                    db.DocumentUniqueIds.Add(new DocumentUniqueIdRow { System = key.Item1, Value = value, DocumentId = row.LogicalId, PatientId = row.PatientId ?? string.Empty });
                    registered++;
                }
            }

            await db.SaveChangesAsync(ct);
            db.ChangeTracker.Clear();
        }

        logger.LogInformation("Registered {Registered} uniqueIds of documents stored before they were unique ({Shared} shared with an older document)", registered, shared);
        return (registered, shared);
    }
}
