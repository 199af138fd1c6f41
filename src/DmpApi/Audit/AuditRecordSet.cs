using DmpApi.Storage;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Audit;

/// <summary>The audit trail's tables in the record store, declared here: Storage keeps rows and knows no feature.</summary>
public static class AuditRecordSet
{
    extension(DmpDbContext db)
    {
        public DbSet<AuditRecord> AuditRecords => db.Set<AuditRecord>();

        /// <summary>One row per writer's chain: its registration and its anchored head (docs/RELIABILITY.md).</summary>
        public DbSet<AuditChainHead> AuditChains => db.Set<AuditChainHead>();
    }
}
