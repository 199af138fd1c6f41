using System.Net;
using DmpApi.Audit;
using DmpApi.Storage;
using DmpApi.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Reliability;

/// <summary>
/// The tamper-evident audit trail (DMP-RULES §4: provably complete): each writer (instance) appends to a chain of its own,
/// every record chained to the previous one by a sequence and a hash computed in the group-commit writer, and the chain's
/// head anchored with each batch; `verify-audit` finds an edited, deleted, reordered or moved record and a truncated tail,
/// and instances appending at the same time never collide. Each test tampers with its own fresh database.
/// </summary>
[TestFixtureSource(typeof(TestStores), nameof(TestStores.All))]
public sealed class AuditChainTests(TestStore store)
{
    private TestDatabase? _database;
    private DmpApiApplication? _app;
    private FhirHttp? _fhir;

    private FhirHttp Fhir => _fhir!;

    [SetUp]
    public async Task StartAsync()
    {
        _database = await store.CreateDatabaseAsync();
        _app = new DmpApiApplication(_database);
        _fhir = new FhirHttp(_app.CreateClient(), Tokens.Professional());
    }

    [TearDown]
    public async Task StopAsync()
    {
        _fhir?.Http.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Test]
    public async Task Concurrent_requests_leave_one_gapless_chain_that_verifies()
    {
        var patient = await Fhir.CreatedAsync(new PatientBuilder().Build());

        var answers = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => Fhir.GetAsync($"fhir/Patient/{patient.Id}")));

        Assert.That(answers.Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.OK));
        var records = await WithDbAsync(db => db.AuditRecords.AsNoTracking().OrderBy(r => r.Sequence).ToListAsync());
        var chain = await WithDbAsync(db => db.AuditChains.AsNoTracking().SingleAsync());
        Assert.Multiple(() =>
        {
            Assert.That(records.Select(r => r.ChainId), Is.All.EqualTo(chain.Id));
            Assert.That(records.Select(r => r.Sequence), Is.EqualTo(Enumerable.Range(1, records.Count).Select(i => (long?)i)));
            Assert.That(records.Select(r => r.Hash), Is.All.Length.EqualTo(AuditChain.HashLength));
            Assert.That(records.Select(r => r.Hash).Distinct().Count(), Is.EqualTo(records.Count));
            Assert.That((chain.HeadSequence, chain.HeadHash), Is.EqualTo((records[^1].Sequence!.Value, records[^1].Hash)), "the anchored head is the last record");
        });
        var verification = await VerifyAsync();
        Assert.That(verification.IsIntact, Is.True, verification.Broken?.Reason);
        Assert.That(verification.Checked, Is.EqualTo(records.Count));
    }

    [Test]
    public async Task Two_instances_appending_at_once_each_keep_a_chain_of_their_own_and_every_request_is_answered()
    {
        await using var second = new DmpApiApplication(_database!);
        var secondFhir = new FhirHttp(second.CreateClient(), Tokens.Professional());
        var patient = await Fhir.CreatedAsync(new PatientBuilder().Build());

        var answers = await Task.WhenAll(Enumerable.Range(0, 60).Select(i =>
            (i % 2 == 0 ? Fhir : secondFhir).GetAsync($"fhir/Patient/{patient.Id}")));

        Assert.That(answers.Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.OK), "no batch fails because the other instance appended");
        var chains = await WithDbAsync(db => db.AuditChains.AsNoTracking().ToListAsync());
        var verification = await VerifyAsync();
        Assert.Multiple(() =>
        {
            Assert.That(chains, Has.Count.EqualTo(2), "one chain per writer");
            Assert.That(verification.IsIntact, Is.True, verification.Broken?.Reason);
            Assert.That(verification.Chains.Select(c => c.Checked), Is.All.GreaterThan(0));
            Assert.That(verification.Checked, Is.EqualTo(61), "the create and the 60 reads, each in exactly one chain");
        });
    }

    [Test]
    public async Task Editing_a_record_is_detected_at_that_record()
    {
        var target = await TrailOfAsync(5, pick: 3);

        await WithDbAsync(db => db.Database.ExecuteSqlRawAsync(
            "UPDATE \"AuditRecords\" SET \"HttpStatus\" = \"HttpStatus\" + 1 WHERE \"Sequence\" = {0}", target.Sequence!));

        var verification = await VerifyAsync();
        Assert.That(verification.Broken, Is.Not.Null, "an edited record must break the chain");
        Assert.Multiple(() =>
        {
            Assert.That(verification.Broken!.RecordId, Is.EqualTo(target.Id));
            Assert.That(verification.Broken.Reason, Does.Contain("does not match its hash"));
            Assert.That(verification.Checked, Is.EqualTo(target.Sequence - 1));
        });
    }

    [Test]
    public async Task Editing_a_record_and_recomputing_its_hash_is_detected_at_the_next_record()
    {
        var target = await TrailOfAsync(5, pick: 3);
        target.Path = "/fhir/Patient/someone-else";
        var previous = await WithDbAsync(db => db.AuditRecords.AsNoTracking().SingleAsync(r => r.Sequence == target.Sequence - 1));
        var forged = AuditChain.HashOf(target, previous.Hash!);

        await WithDbAsync(db => db.Database.ExecuteSqlRawAsync(
            "UPDATE \"AuditRecords\" SET \"Path\" = {0}, \"Hash\" = {1} WHERE \"Id\" = {2}", target.Path, forged, target.Id));

        var verification = await VerifyAsync();
        Assert.That(verification.Broken, Is.Not.Null);
        Assert.That(verification.Broken!.Sequence, Is.EqualTo(target.Sequence + 1));
    }

    [Test]
    public async Task Deleting_a_record_is_detected_as_a_gap()
    {
        var target = await TrailOfAsync(5, pick: 2);

        await WithDbAsync(db => db.Database.ExecuteSqlRawAsync("DELETE FROM \"AuditRecords\" WHERE \"Id\" = {0}", target.Id));

        var verification = await VerifyAsync();
        Assert.That(verification.Broken, Is.Not.Null, "a deleted record must break the chain");
        Assert.Multiple(() =>
        {
            Assert.That(verification.Broken!.Sequence, Is.EqualTo(target.Sequence));
            Assert.That(verification.Broken.Reason, Does.Contain("missing"));
        });
    }

    [Test]
    public async Task Reordering_two_records_is_detected()
    {
        var first = await TrailOfAsync(5, pick: 2);
        var second = await WithDbAsync(db => db.AuditRecords.AsNoTracking().SingleAsync(r => r.Sequence == first.Sequence + 1));

        // Swap their places in the chain (through a free sequence number, as the sequence is unique).
        await WithDbAsync(async db =>
        {
            await db.Database.ExecuteSqlRawAsync("UPDATE \"AuditRecords\" SET \"Sequence\" = -1 WHERE \"Id\" = {0}", first.Id);
            await db.Database.ExecuteSqlRawAsync("UPDATE \"AuditRecords\" SET \"Sequence\" = {0} WHERE \"Id\" = {1}", first.Sequence!, second.Id);
            return await db.Database.ExecuteSqlRawAsync("UPDATE \"AuditRecords\" SET \"Sequence\" = {0} WHERE \"Id\" = {1}", second.Sequence!, first.Id);
        });

        var verification = await VerifyAsync();
        Assert.That(verification.Broken, Is.Not.Null, "reordered records must break the chain");
        Assert.That(verification.Broken!.Sequence, Is.EqualTo(first.Sequence));
    }

    [Test]
    public async Task Deleting_the_newest_records_is_detected_by_the_anchored_head()
    {
        var newest = await TrailOfAsync(5, pick: 6);

        await WithDbAsync(db => db.Database.ExecuteSqlRawAsync("DELETE FROM \"AuditRecords\" WHERE \"Id\" = {0}", newest.Id));

        var verification = await VerifyAsync();
        Assert.That(verification.Broken, Is.Not.Null, "a truncated tail must break the chain");
        Assert.That(verification.Broken!.Reason, Does.Contain("tail was deleted"));
    }

    [Test]
    public async Task Rewriting_the_tail_with_recomputed_hashes_is_detected_by_the_anchored_head()
    {
        var newest = await TrailOfAsync(5, pick: 6);
        newest.HttpStatus = 404;
        var previous = await WithDbAsync(db => db.AuditRecords.AsNoTracking().SingleAsync(r => r.Sequence == newest.Sequence - 1));
        var forged = AuditChain.HashOf(newest, previous.Hash!);

        await WithDbAsync(db => db.Database.ExecuteSqlRawAsync(
            "UPDATE \"AuditRecords\" SET \"HttpStatus\" = 404, \"Hash\" = {0} WHERE \"Id\" = {1}", forged, newest.Id));

        var verification = await VerifyAsync();
        Assert.That(verification.Broken, Is.Not.Null, "a consistent rewrite of the last record must not verify");
        Assert.That(verification.Broken!.Reason, Does.Contain("not at its anchored head"));
    }

    [Test]
    public async Task Deleting_a_chains_anchor_is_detected()
    {
        await TrailOfAsync(3, pick: 1);

        await WithDbAsync(db => db.Database.ExecuteSqlRawAsync("DELETE FROM \"AuditChains\""));

        var verification = await VerifyAsync();
        Assert.That(verification.Broken, Is.Not.Null);
        Assert.That(verification.Broken!.Reason, Does.Contain("not registered"));
    }

    [Test]
    public async Task Moving_a_record_to_another_chain_is_detected()
    {
        await using var second = new DmpApiApplication(_database!);
        var secondFhir = new FhirHttp(second.CreateClient(), Tokens.Professional());
        var moved = await TrailOfAsync(3, pick: 2);
        Assert.That((await secondFhir.GetAsync("fhir/Patient/unknown")).Status, Is.EqualTo(HttpStatusCode.NotFound), "Arrange: the second instance's chain");
        var other = await WithDbAsync(db => db.AuditChains.AsNoTracking().SingleAsync(c => c.Id != moved.ChainId));

        // Into the other chain's next place, its anchor moved along: only the hash can tell.
        await WithDbAsync(async db =>
        {
            await db.Database.ExecuteSqlRawAsync("UPDATE \"AuditRecords\" SET \"ChainId\" = {0}, \"Sequence\" = {1} WHERE \"Id\" = {2}",
                other.Id, other.HeadSequence + 1, moved.Id);
            return await db.Database.ExecuteSqlRawAsync("UPDATE \"AuditChains\" SET \"HeadSequence\" = {0}, \"HeadHash\" = {1} WHERE \"Id\" = {2}",
                other.HeadSequence + 1, moved.Hash!, other.Id);
        });

        var verification = await VerifyAsync();
        Assert.That(verification.Broken, Is.Not.Null, "a moved record must break a chain");
    }

    [Test]
    public async Task The_verify_audit_command_prints_the_first_broken_link_and_exits_non_zero()
    {
        var target = await TrailOfAsync(4, pick: 2);
        var (intactCode, intactOutput) = await RunCommandAsync();

        await WithDbAsync(db => db.Database.ExecuteSqlRawAsync("DELETE FROM \"AuditRecords\" WHERE \"Id\" = {0}", target.Id));
        var (brokenCode, brokenOutput) = await RunCommandAsync();

        Assert.Multiple(() =>
        {
            Assert.That(intactCode, Is.Zero, intactOutput);
            Assert.That(intactOutput, Does.StartWith($"chain {target.ChainId} ("));
            Assert.That(intactOutput, Does.Contain("OK: 5 audit records in 1 chains verified"));
            Assert.That(brokenCode, Is.EqualTo(1), brokenOutput);
            Assert.That(brokenOutput, Does.StartWith($"BROKEN in chain {target.ChainId} at sequence {target.Sequence}"));
        });
    }

    /// <summary>Arrange: a trail of at least <paramref name="count"/> records; returns the one at sequence <paramref name="pick"/>.</summary>
    private async Task<AuditRecord> TrailOfAsync(int count, int pick)
    {
        var patient = await Fhir.CreatedAsync(new PatientBuilder().Build());
        for (var i = 0; i < count; i++)
        {
            await Fhir.GetAsync($"fhir/Patient/{patient.Id}");
        }

        var arranged = await VerifyAsync();
        Assert.That(arranged.IsIntact, Is.True, $"Arrange: the untouched chain must verify: {arranged.Broken?.Reason}");
        return await WithDbAsync(db => db.AuditRecords.AsNoTracking().SingleAsync(r => r.Sequence == pick));
    }

    private Task<AuditChain.Verification> VerifyAsync() => WithDbAsync(db => VerifyAuditCommand.VerifyAsync(db));

    private async Task<(int Code, string Output)> RunCommandAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration["Database:Provider"] = _database!.Provider.ToString();
        builder.Configuration["ConnectionStrings:Dmp"] = _database.ConnectionString;
        using var output = new StringWriter();
        var code = await VerifyAuditCommand.RunAsync(builder, output);
        return (code, output.ToString());
    }

    private async Task<T> WithDbAsync<T>(Func<DmpDbContext, Task<T>> work)
    {
        await using var scope = _app!.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<DmpDbContext>());
    }
}
