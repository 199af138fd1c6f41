using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DmpApi.Storage;

// Provider-neutral mapping; provider specifics live only in each provider's migrations.
internal sealed class ResourceRowConfiguration : IEntityTypeConfiguration<ResourceRow>
{
    public void Configure(EntityTypeBuilder<ResourceRow> b)
    {
        b.ToTable("Resources");
        b.Property(r => r.ResourceType).HasMaxLength(64);
        b.Property(r => r.LogicalId).HasMaxLength(64);
        b.Property(r => r.PatientId).HasMaxLength(64);
        b.Property(r => r.DepositorIdNatPs).HasMaxLength(64);
        b.Property(r => r.ConsentAudience).HasMaxLength(64);
        b.HasIndex(r => new { r.ResourceType, r.LogicalId, r.VersionId }).IsUnique();
        // Serves type-level searches of one patient's record, newest first.
        b.HasIndex(r => new { r.PatientId, r.ResourceType, r.IsCurrent, r.LastUpdated });
    }
}

internal abstract class SearchIndexConfiguration<T> : IEntityTypeConfiguration<T> where T : SearchIndexRow
{
    protected abstract string Table { get; }

    public virtual void Configure(EntityTypeBuilder<T> b)
    {
        b.ToTable(Table);
        b.Property(r => r.ResourceType).HasMaxLength(64);
        b.Property(r => r.ParamName).HasMaxLength(64);
        b.Property(r => r.PatientId).HasMaxLength(64);
        b.HasOne(r => r.Resource).WithMany().HasForeignKey(r => r.ResourceRowId).OnDelete(DeleteBehavior.Cascade);
        b.HasIndex(r => r.ResourceRowId);
    }
}

internal sealed class TokenIndexConfiguration : SearchIndexConfiguration<TokenIndexRow>
{
    protected override string Table => "TokenIndex";

    public override void Configure(EntityTypeBuilder<TokenIndexRow> b)
    {
        base.Configure(b);
        b.Property(r => r.System).HasMaxLength(256);
        b.Property(r => r.Code).HasMaxLength(256);
        b.HasIndex(r => new { r.ResourceType, r.ParamName, r.Code, r.PatientId });
    }
}

internal sealed class StringIndexConfiguration : SearchIndexConfiguration<StringIndexRow>
{
    protected override string Table => "StringIndex";

    public override void Configure(EntityTypeBuilder<StringIndexRow> b)
    {
        base.Configure(b);
        b.Property(r => r.Normalized).HasMaxLength(256);
        b.Property(r => r.Exact).HasMaxLength(256);
        b.HasIndex(r => new { r.ResourceType, r.ParamName, r.Normalized, r.PatientId });
    }
}

internal sealed class DateIndexConfiguration : SearchIndexConfiguration<DateIndexRow>
{
    protected override string Table => "DateIndex";

    public override void Configure(EntityTypeBuilder<DateIndexRow> b)
    {
        base.Configure(b);
        b.HasIndex(r => new { r.ResourceType, r.ParamName, r.PatientId, r.Start, r.End });
    }
}

internal sealed class ReferenceIndexConfiguration : SearchIndexConfiguration<ReferenceIndexRow>
{
    protected override string Table => "ReferenceIndex";

    public override void Configure(EntityTypeBuilder<ReferenceIndexRow> b)
    {
        base.Configure(b);
        b.Property(r => r.TargetType).HasMaxLength(64);
        b.Property(r => r.TargetId).HasMaxLength(64);
        b.HasIndex(r => new { r.ResourceType, r.ParamName, r.TargetType, r.TargetId });
    }
}

internal sealed class PatientIdentityConfiguration : IEntityTypeConfiguration<PatientIdentityRow>
{
    public void Configure(EntityTypeBuilder<PatientIdentityRow> b)
    {
        b.ToTable("PatientIdentities");
        b.HasKey(r => new { r.System, r.Value });
        b.Property(r => r.System).HasMaxLength(64);
        b.Property(r => r.Value).HasMaxLength(64);
        b.Property(r => r.PatientId).HasMaxLength(64);
        b.HasIndex(r => r.PatientId);
    }
}

internal sealed class DocumentUniqueIdConfiguration : IEntityTypeConfiguration<DocumentUniqueIdRow>
{
    public void Configure(EntityTypeBuilder<DocumentUniqueIdRow> b)
    {
        b.ToTable("DocumentUniqueIds");
        // Within SQL Server's 900-byte key: an OID or urn:uuid uniqueId is far shorter than 256.
        b.HasKey(r => new { r.System, r.Value });
        b.Property(r => r.System).HasMaxLength(128);
        b.Property(r => r.Value).HasMaxLength(256);
        b.Property(r => r.DocumentId).HasMaxLength(64);
        b.Property(r => r.PatientId).HasMaxLength(64);
    }
}

internal sealed class BinaryRowConfiguration : IEntityTypeConfiguration<BinaryRow>
{
    public void Configure(EntityTypeBuilder<BinaryRow> b)
    {
        b.ToTable("Binaries");
        b.HasKey(r => r.LogicalId);
        b.Property(r => r.LogicalId).HasMaxLength(64);
        b.Property(r => r.PatientId).HasMaxLength(64);
        b.Property(r => r.DocumentId).HasMaxLength(64);
        b.Property(r => r.ContentType).HasMaxLength(128);
        b.HasIndex(r => new { r.PatientId, r.DocumentId });
    }
}
