using DmpApi.Storage;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Audit;

/// <summary>
/// `verify-audit`: walks the audit hash chain (<see cref="AuditChain"/>) of the configured database, prints the first
/// broken link and exits 1, or prints the count and the head hash (to be kept elsewhere) and exits 0.
/// </summary>
internal static class VerifyAuditCommand
{
    public static async Task<int> RunAsync(WebApplicationBuilder builder, TextWriter output)
    {
        builder.Services.AddRecordStore(builder.Configuration, builder.Environment);
        await using var app = builder.Build();
        await using var scope = app.Services.CreateAsyncScope();
        var result = await VerifyAsync(scope.ServiceProvider.GetRequiredService<DmpDbContext>());
        if (result.Broken is { } broken)
        {
            await output.WriteLineAsync($"BROKEN at sequence {broken.Sequence} (record id {broken.RecordId}): {broken.Reason}. " +
                $"{result.Checked} links verified before it.");
            return 1;
        }

        await output.WriteLineAsync($"OK: {result.Checked} audit records chained, head hash {result.HeadHash}" +
            (result.Unchained > 0 ? $"; {result.Unchained} records from before the chain are not covered." : "."));
        return 0;
    }

    /// <summary>Walks every record of the table in chain order (those from before the chain first).</summary>
    public static Task<AuditChain.Verification> VerifyAsync(DmpDbContext db, CancellationToken cancellationToken = default) =>
        AuditChain.VerifyAsync(db.AuditRecords.AsNoTracking()
            .OrderBy(r => r.Sequence == null ? 0 : 1).ThenBy(r => r.Sequence).ThenBy(r => r.Id)
            .AsAsyncEnumerable(), cancellationToken);
}
