using System.Net;
using DmpApi.Storage;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace DmpApi.Tests.Integration;

/// <summary>
/// Documents stored before uniqueIds were registered: the migration that adds the table registers theirs, so that an
/// upgraded registry refuses a duplicate of a document it already held.
/// </summary>
public sealed class DocumentUniqueIdBackfillTests(TestStore store) : StoreFixture(store)
{
    private static string NewUniqueId() => "urn:uuid:" + Guid.NewGuid();

    [Test]
    public async Task Upgrading_a_registry_registers_the_unique_ids_of_the_documents_it_holds()
    {
        var patient = await CreatePatientAsync();
        var uniqueId = NewUniqueId();
        await CreateDocumentAsync(DocumentBuilder.For(patient).UniqueId(uniqueId));
        await ForgetTheMigrationAsync();

        await App.Services.MigrateRecordStoreAsync();
        var duplicate = await Fhir.CreateAsync(DocumentBuilder.For(patient).UniqueId(uniqueId).Build());

        Assert.That(duplicate.Status, Is.EqualTo(HttpStatusCode.Conflict), duplicate.ToString());
    }

    [Test]
    public async Task A_unique_id_two_older_documents_share_stays_with_the_older_one()
    {
        var patient = await CreatePatientAsync();
        var uniqueId = NewUniqueId();
        var older = await CreateDocumentAsync(DocumentBuilder.For(patient).UniqueId(uniqueId));
        await UnregisterAsync(uniqueId);
        var newer = await CreateDocumentAsync(DocumentBuilder.For(patient).UniqueId(uniqueId));
        await UnregisterAsync(uniqueId);

        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
        var (_, shared) = await DocumentUniqueIdBackfill.RunAsync(db, NullLogger.Instance, CancellationToken.None);
        var owner = await db.DocumentUniqueIds.AsNoTracking().Where(r => r.Value == uniqueId).Select(r => r.DocumentId).SingleAsync();

        Assert.Multiple(() =>
        {
            Assert.That(owner, Is.EqualTo(older.Id).And.Not.EqualTo(newer.Id));
            Assert.That(shared, Is.EqualTo(1));
        });
    }

    /// <summary>The database as it was before the DocumentUniqueIds migration: no table, no history row.</summary>
    private async Task ForgetTheMigrationAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
        await db.Database.ExecuteSqlRawAsync("""DROP TABLE "DocumentUniqueIds" """);
        await db.Database.ExecuteSqlRawAsync(
            """DELETE FROM "__EFMigrationsHistory" WHERE "MigrationId" LIKE {0}""", "%_" + DocumentUniqueIdBackfill.MigrationName);
    }

    private async Task UnregisterAsync(string uniqueId)
    {
        await using var scope = App.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<DmpDbContext>().DocumentUniqueIds.Where(r => r.Value == uniqueId).ExecuteDeleteAsync();
    }
}
