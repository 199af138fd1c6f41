using DmpApi.Storage;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Notifications;

/// <summary>The notifications' table in the record store, declared here: Storage keeps rows and knows no feature.</summary>
public static class NotificationSet
{
    extension(DmpDbContext db)
    {
        public DbSet<NotificationRecord> Notifications => db.Set<NotificationRecord>();
    }
}
