using Microsoft.EntityFrameworkCore;

namespace DmpApi.Storage;

/// <summary>The record store. Each provider derives its own context so that each keeps its own migrations.</summary>
public abstract class DmpDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<ResourceRow> Resources => Set<ResourceRow>();
    public DbSet<TokenIndexRow> TokenIndex => Set<TokenIndexRow>();
    public DbSet<StringIndexRow> StringIndex => Set<StringIndexRow>();
    public DbSet<DateIndexRow> DateIndex => Set<DateIndexRow>();
    public DbSet<ReferenceIndexRow> ReferenceIndex => Set<ReferenceIndexRow>();
    public DbSet<PatientIdentityRow> PatientIdentities => Set<PatientIdentityRow>();
    public DbSet<BinaryRow> Binaries => Set<BinaryRow>();
    public DbSet<DocumentUniqueIdRow> DocumentUniqueIds => Set<DocumentUniqueIdRow>();

    // Features keep their own tables (AuditRecords, AuditChains, Notifications) with their configurations, found here by assembly scan.
    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(DmpDbContext).Assembly);
}

public sealed class SqliteDmpDbContext(DbContextOptions<SqliteDmpDbContext> options) : DmpDbContext(options);

public sealed class SqlServerDmpDbContext(DbContextOptions<SqlServerDmpDbContext> options) : DmpDbContext(options);

public sealed class PostgreSqlDmpDbContext(DbContextOptions<PostgreSqlDmpDbContext> options) : DmpDbContext(options);
