using DmpApi.Audit;
using DmpApi.Storage;
using DmpApi.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace DmpApi.Tests.Audit;

/// <summary>
/// A database from before per-writer chains keeps a trail that verifies: the AuditChainPerWriter migration makes its one
/// global chain chain <see cref="Guid.Empty"/> (whose genesis is the old one, so no hash changes), anchored at its last record.
/// </summary>
[TestFixtureSource(typeof(TestStores), nameof(TestStores.All))]
public sealed class AuditChainMigrationTests(TestStore store)
{
    private const string BeforePerWriterChains = "AuditHashChain";

    [Test]
    public async Task The_global_chain_of_an_older_database_becomes_one_anchored_chain_that_verifies()
    {
        await using var database = await store.CreateDatabaseAsync();
        await using (var before = database.Open())
        {
            await before.GetService<IMigrator>().MigrateAsync(await MigrationNamedAsync(before, BeforePerWriterChains));
            await WriteGlobalChainAsync(before, 4);
        }

        await using var db = database.Open();
        await db.Database.MigrateAsync();

        var chain = await db.AuditChains.AsNoTracking().SingleAsync();
        var verification = await VerifyAuditCommand.VerifyAsync(db);
        Assert.Multiple(() =>
        {
            Assert.That(chain.Id, Is.EqualTo(Guid.Empty));
            Assert.That(chain.HeadSequence, Is.EqualTo(4));
            Assert.That(verification.IsIntact, Is.True, verification.Broken?.Reason);
            Assert.That(verification.Checked, Is.EqualTo(4));
        });
    }

    [Test]
    public async Task A_database_without_chained_records_gets_no_chain_from_the_migration()
    {
        await using var database = await store.CreateDatabaseAsync();
        await using var db = database.Open();

        await db.Database.MigrateAsync();

        Assert.That(await db.AuditChains.CountAsync(), Is.Zero);
    }

    /// <summary>What the global chain's writer stored: sequence 1…n, each hash over the previous one from the zero genesis.</summary>
    private static async Task WriteGlobalChainAsync(DmpDbContext db, int count)
    {
        var previous = AuditChain.Genesis;
        var at = new DateTime(2026, 11, 30, 10, 0, 0, DateTimeKind.Utc);
        for (var sequence = 1; sequence <= count; sequence++)
        {
            var record = new AuditRecord
            {
                RecordedAt = at.AddSeconds(sequence), RequesterKind = "Professional", Subject = "810001234567", Interaction = "read",
                Method = "GET", Path = $"/fhir/Patient/p{sequence}", RequestId = $"before-{sequence}", HttpStatus = 200, Sequence = sequence,
            };
            record.Hash = AuditChain.HashOf(record, previous);
            previous = record.Hash;
            await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO \"AuditRecords\" (\"RecordedAt\", \"RequesterKind\", \"Subject\", \"Interaction\", \"Method\", \"Path\", \"RequestId\", \"HttpStatus\", \"Outcome\", \"Sequence\", \"Hash\") " +
                "VALUES ({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, 0, {8}, {9})",
                record.RecordedAt, record.RequesterKind, record.Subject, record.Interaction, record.Method, record.Path, record.RequestId,
                record.HttpStatus, record.Sequence, record.Hash);
        }
    }

    private static Task<string> MigrationNamedAsync(DmpDbContext db, string name) => Task.FromResult(
        db.Database.GetMigrations().Single(m => m.EndsWith("_" + name, StringComparison.Ordinal)));
}
