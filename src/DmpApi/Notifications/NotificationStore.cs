using DmpApi.Storage;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Notifications;

/// <summary>
/// Writes notifications through a DbContext scope of its own: the request's context is shared with the request's own
/// work, and a notification must neither break nor half-write it. Each notification is its own small transaction.
/// </summary>
public sealed class NotificationStore(IServiceScopeFactory scopes, WriteGate writeGate)
{
    // Keys known to be stored: notifications are never deleted, so "sent" never turns false and this cannot go stale.
    // It spares a query on every read by a professional already notified about; bounded, then simply started again.
    private const int KnownSentLimit = 100_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _knownSent = new(StringComparer.Ordinal);

    public async Task<bool> IsSentAsync(string key, CancellationToken ct)
    {
        if (_knownSent.ContainsKey(key))
        {
            return true;
        }

        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
        var sent = await db.Notifications.AsNoTracking().AnyAsync(n => n.Key == key, ct);
        if (sent)
        {
            KnowSent(key);
        }

        return sent;
    }

    /// <summary>Whether an emergency access of this professional to this record was notified to the patient since that instant.</summary>
    public async Task<bool> EmergencyNotifiedSinceAsync(string patientId, string idNatPs, DateTime since, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
        return await db.Notifications.AsNoTracking().AnyAsync(n => n.PatientId == patientId && n.Reason == NotificationReason.EmergencyAccess
            && n.IdNatPs == idNatPs && n.RecipientIdNatPs == null && n.SentAt > since, ct);
    }

    private void KnowSent(string key)
    {
        if (_knownSent.Count >= KnownSentLimit)
        {
            _knownSent.Clear();
        }

        _knownSent.TryAdd(key, 0);
    }

    /// <summary>Inserts the notification; false when one with the same key exists already (a concurrent request or an earlier sweep sent it).</summary>
    public async Task<bool> TryAddAsync(NotificationRecord notification, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
        db.Notifications.Add(notification);
        try
        {
            using var writer = await writeGate.EnterAsync(db, ct);
            if (_knownSent.ContainsKey(notification.Key))
            {
                // Concurrent first reads of a record: another request of this instance stored it while this one queued.
                // Checking spares a failed insert, which EF logs as an error with its stack trace.
                return false;
            }

            await db.SaveChangesAsync(ct);
            KnowSent(notification.Key);
            return true;
        }
        catch (DbUpdateException e) when (UniqueViolation.Matches(e))
        {
            KnowSent(notification.Key);
            return false;
        }
    }
}
