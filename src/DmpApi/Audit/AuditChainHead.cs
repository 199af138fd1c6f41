using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DmpApi.Audit;

/// <summary>
/// One writer's chain of the audit trail (see <see cref="AuditChain"/>): registered by the writer when it first commits,
/// and its head (last sequence and hash) anchored in the same transaction as every batch it appends, so that a tail
/// removed or rewritten afterwards no longer ends where the anchor says.
/// </summary>
public sealed class AuditChainHead
{
    /// <summary>The chain's id, made by the writer at start; <see cref="Guid.Empty"/> is the one chain from before per-writer chains.</summary>
    public Guid Id { get; set; }

    /// <summary>When the writer registered the chain, UTC.</summary>
    public DateTime StartedAt { get; set; }

    /// <summary>Which process wrote it ("host/pid"), for the operator reading `verify-audit`.</summary>
    public required string Writer { get; set; }

    /// <summary>Sequence of the chain's last record.</summary>
    public long HeadSequence { get; set; }

    /// <summary>Hash of the chain's last record.</summary>
    public required string HeadHash { get; set; }
}

internal sealed class AuditChainHeadConfiguration : IEntityTypeConfiguration<AuditChainHead>
{
    public void Configure(EntityTypeBuilder<AuditChainHead> b)
    {
        b.ToTable("AuditChains");
        b.HasKey(c => c.Id);
        b.Property(c => c.Id).ValueGeneratedNever();
        b.Property(c => c.Writer).HasMaxLength(256);
        b.Property(c => c.HeadHash).HasMaxLength(AuditChain.HashLength);
    }
}

/// <summary>
/// For the AuditChainPerWriter migrations: the records of the one global chain that came before become chain
/// <see cref="Guid.Empty"/> (whose genesis is the old one, so their hashes stay valid), anchored at their last record.
/// </summary>
internal static class LegacyAuditChain
{
    /// <param name="emptyGuid">The provider's literal of <see cref="Guid.Empty"/>.</param>
    public static string AdoptionSql(string emptyGuid) => $"""
        UPDATE "AuditRecords" SET "ChainId" = {emptyGuid} WHERE "Sequence" IS NOT NULL;
        INSERT INTO "AuditChains" ("Id", "StartedAt", "Writer", "HeadSequence", "HeadHash")
        SELECT {emptyGuid}, a."StartedAt", 'before per-writer chains', a."HeadSequence",
            (SELECT r."Hash" FROM "AuditRecords" r WHERE r."ChainId" = {emptyGuid} AND r."Sequence" = a."HeadSequence")
        FROM (SELECT MIN("RecordedAt") AS "StartedAt", MAX("Sequence") AS "HeadSequence" FROM "AuditRecords" WHERE "Sequence" IS NOT NULL) a
        WHERE a."HeadSequence" IS NOT NULL;
        """;
}
