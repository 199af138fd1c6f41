using DmpApi.Storage;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Tests.Reliability;

/// <summary>
/// What a request could have changed in the store: the row count of every table and the current version of every
/// resource. Two snapshots taken around a refused request must be equal ("the database is unchanged afterwards").
/// The audit trail is counted apart: a refused request adds exactly its own record.
/// </summary>
public sealed record DatabaseSnapshot(IReadOnlyDictionary<string, long> RowCounts, IReadOnlySet<string> CurrentVersions, long AuditRecords)
{
    public static async Task<DatabaseSnapshot> TakeAsync(DmpDbContext db)
    {
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        long audit = 0;
        foreach (var table in db.Model.GetEntityTypes().Select(t => t.GetTableName()).OfType<string>().Distinct())
        {
            // The table names come from the model, not from input.
            var sql = "SELECT CAST(COUNT(*) AS BIGINT) AS \"Value\" FROM \"" + table + "\"";
            var count = await db.Database.SqlQueryRaw<long>(sql).SingleAsync();
            if (table == "AuditRecords")
            {
                audit = count;
            }
            else
            {
                counts[table] = count;
            }
        }

        var versions = await db.Resources.AsNoTracking().Where(r => r.IsCurrent)
            .Select(r => r.ResourceType + "/" + r.LogicalId + "/" + r.VersionId + (r.IsDeleted ? "/deleted" : string.Empty))
            .ToListAsync();
        return new DatabaseSnapshot(counts, versions.ToHashSet(StringComparer.Ordinal), audit);
    }

    /// <summary>What differs from <paramref name="before"/> outside the audit trail; empty when nothing does.</summary>
    public string DifferencesFrom(DatabaseSnapshot before)
    {
        var differences = RowCounts.Where(c => before.RowCounts.GetValueOrDefault(c.Key) != c.Value)
            .Select(c => $"{c.Key}: {before.RowCounts.GetValueOrDefault(c.Key)} → {c.Value} rows")
            .Concat(CurrentVersions.Except(before.CurrentVersions).Select(v => $"new current version {v}"))
            .Concat(before.CurrentVersions.Except(CurrentVersions).Select(v => $"no longer current {v}"));
        return string.Join("; ", differences);
    }
}
