using DmpApi.Storage;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Notifications;

/// <summary>
/// Writes notifications through a DbContext scope of its own: the request's context is shared with the request's own
/// work, and a notification must neither break nor half-write it. Each notification is its own small transaction.
/// </summary>
public sealed class NotificationStore(IServiceScopeFactory scopes)
{
    public async Task<bool> IsSentAsync(string key, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
        return await db.Notifications.AsNoTracking().AnyAsync(n => n.Key == key, ct);
    }

    /// <summary>Inserts the notification; false when one with the same key exists already (a concurrent request or an earlier sweep sent it).</summary>
    public async Task<bool> TryAddAsync(NotificationRecord notification, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
        db.Notifications.Add(notification);
        try
        {
            await db.SaveChangesAsync(ct);
            return true;
        }
        catch (DbUpdateException e) when (UniqueViolation.Matches(e))
        {
            return false;
        }
    }
}
