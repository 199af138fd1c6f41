using Microsoft.EntityFrameworkCore;

namespace DmpApi.Storage;

/// <summary>
/// A lock on one record for the rest of the write transaction, for a rule that counts what the record holds (two legal
/// representatives at most, issue 14): under READ COMMITTED two instances would each count without the other's uncommitted
/// row. The record's current Patient row is locked as read (no write before the write door): PostgreSQL FOR UPDATE,
/// SQL Server UPDLOCK; SQLite takes one writer at a time already (BEGIN IMMEDIATE). A second writer waits for the first
/// to commit, and its next statement sees what the first wrote.
/// </summary>
public static class RecordLock
{
    public static async Task TakeAsync(DmpDbContext db, string patientId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlAsync(
                $"""SELECT 1 FROM "Resources" WHERE "ResourceType" = 'Patient' AND "LogicalId" = {patientId} AND "IsCurrent" FOR UPDATE""", ct);
        }
        else if (db.Database.IsSqlServer())
        {
            await db.Database.ExecuteSqlAsync(
                $"SELECT 1 FROM [Resources] WITH (UPDLOCK, ROWLOCK) WHERE [ResourceType] = N'Patient' AND [LogicalId] = {patientId} AND [IsCurrent] = 1", ct);
        }
    }
}
