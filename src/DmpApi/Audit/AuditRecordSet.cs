using DmpApi.Storage;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Audit;

/// <summary>The audit trail's table in the record store, declared here: Storage keeps rows and knows no feature.</summary>
public static class AuditRecordSet
{
    extension(DmpDbContext db)
    {
        public DbSet<AuditRecord> AuditRecords => db.Set<AuditRecord>();
    }
}
