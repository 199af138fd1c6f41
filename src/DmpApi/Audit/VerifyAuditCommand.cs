using System.Diagnostics;
using System.Globalization;
using DmpApi.Storage;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Audit;

/// <summary>
/// `verify-audit`: walks every chain of the audit trail (<see cref="AuditChain"/>) of the configured database, one line
/// per chain, then a total; prints the first broken link and exits 1, or exits 0 when every chain verifies.
/// </summary>
internal static class VerifyAuditCommand
{
    public static async Task<int> RunAsync(WebApplicationBuilder builder, TextWriter output)
    {
        builder.Services.AddRecordStore(builder.Configuration, builder.Environment);
        await using var app = builder.Build();
        await using var scope = app.Services.CreateAsyncScope();
        var clock = Stopwatch.StartNew();
        var result = await VerifyAsync(scope.ServiceProvider.GetRequiredService<DmpDbContext>());
        foreach (var chain in result.Chains.Where(c => c.Broken is null))
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"chain {chain.Chain.Id} ({chain.Chain.Writer}, started {chain.Chain.StartedAt:yyyy-MM-dd'T'HH:mm:ss'Z'}): {chain.Checked} records, head hash {chain.HeadHash}"));
        }

        if (result.Broken is { } broken)
        {
            await output.WriteLineAsync($"BROKEN in chain {broken.ChainId} at sequence {broken.Sequence} (record id {broken.RecordId}): {broken.Reason}. " +
                $"{result.Checked} links verified before it.");
            return 1;
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"OK: {result.Checked} audit records in {result.Chains.Count} chains verified in {clock.Elapsed.TotalSeconds:0.0} s") +
            (result.Unchained > 0 ? $"; {result.Unchained} records from before the chain are not covered." : "."));
        return 0;
    }

    /// <summary>Walks every registered chain in the order of their start, after checking that no record belongs to an unregistered one.</summary>
    public static async Task<AuditChain.Verification> VerifyAsync(DmpDbContext db, CancellationToken cancellationToken = default)
    {
        var unchained = await db.AuditRecords.LongCountAsync(r => r.ChainId == null, cancellationToken);
        // Set<>() rather than the feature's extension property: an expression tree cannot hold the latter.
        var registered = db.Set<AuditChainHead>();
        var stray = await db.AuditRecords.AsNoTracking()
            .Where(r => r.ChainId != null && !registered.Any(c => c.Id == r.ChainId))
            .Select(r => new { r.Id, r.ChainId, r.Sequence })
            .FirstOrDefaultAsync(cancellationToken);
        if (stray is not null)
        {
            return new AuditChain.Verification([], unchained, new AuditChain.BrokenLink(stray.ChainId!.Value, stray.Id, stray.Sequence ?? 0,
                $"record {stray.Id} belongs to chain {stray.ChainId}, which is not registered: the chain's anchor was deleted"));
        }

        var chains = await db.AuditChains.AsNoTracking().OrderBy(c => c.StartedAt).ThenBy(c => c.Id).ToListAsync(cancellationToken);
        var walked = new List<AuditChain.ChainVerification>(chains.Count);
        foreach (var chain in chains)
        {
            var id = chain.Id;
            var verification = await AuditChain.VerifyAsync(chain, db.AuditRecords.AsNoTracking()
                .Where(r => r.ChainId == id).OrderBy(r => r.Sequence).ThenBy(r => r.Id)
                .AsAsyncEnumerable(), cancellationToken);
            walked.Add(verification);
            if (verification.Broken is { } broken)
            {
                return new AuditChain.Verification(walked, unchained, broken);
            }
        }

        return new AuditChain.Verification(walked, unchained, null);
    }
}
