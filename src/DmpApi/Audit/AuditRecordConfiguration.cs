using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DmpApi.Audit;

// Provider-neutral mapping (as in Storage/EntityConfigurations.cs); provider specifics live only in each provider's migrations.
internal sealed class AuditRecordConfiguration : IEntityTypeConfiguration<AuditRecord>
{
    /// <summary>Longest path and query kept (SQL Server's longest nvarchar short of MAX); a longer URL is cut.</summary>
    public const int PathLength = 4000;

    /// <summary>Longest justification of an access mode kept; a longer one is cut.</summary>
    public const int ReasonLength = 1000;

    public void Configure(EntityTypeBuilder<AuditRecord> b)
    {
        b.ToTable("AuditRecords");
        b.HasKey(r => r.Id);
        b.Property(r => r.PatientId).HasMaxLength(64);
        b.Property(r => r.RequesterKind).HasMaxLength(16);
        b.Property(r => r.Subject).HasMaxLength(256);
        b.Property(r => r.IdNatPs).HasMaxLength(64);
        b.Property(r => r.Ins).HasMaxLength(64);
        b.Property(r => r.Name).HasMaxLength(256);
        b.Property(r => r.Profession).HasMaxLength(16);
        b.Property(r => r.PurposeOfUse).HasMaxLength(16);
        b.Property(r => r.PurposeOfUseReason).HasMaxLength(ReasonLength);
        b.Property(r => r.Interaction).HasMaxLength(32);
        b.Property(r => r.Method).HasMaxLength(16);
        b.Property(r => r.Path).HasMaxLength(PathLength);
        b.Property(r => r.ResourceType).HasMaxLength(64);
        b.Property(r => r.ClientAddress).HasMaxLength(64);
        b.Property(r => r.RequestId).HasMaxLength(128);
        b.Property(r => r.Hash).HasMaxLength(AuditChain.HashLength);
        b.Ignore(r => r.Resources);
        // Each writer's chain in order (AuditChain): unique, and what verify-audit walks.
        b.HasIndex(r => new { r.ChainId, r.Sequence }).IsUnique();
        // DESIGN §1: the patient is the partition key. Serves "AuditEvent?patient=…" newest first (DMP-RULES §4).
        b.HasIndex(r => new { r.PatientId, r.RecordedAt });
    }
}
