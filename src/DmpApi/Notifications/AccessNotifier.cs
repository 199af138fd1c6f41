using DmpApi.Access;
using DmpApi.Auth;
using Microsoft.Extensions.Options;

namespace DmpApi.Notifications;

/// <summary>
/// Notifies on a professional's allowed access to a record (DMP-RULES §4), called by <see cref="AccessScope"/> with each
/// read decision. One per request: a record is handled once per request however many times the request decides on it.
/// </summary>
public sealed class AccessNotifier(NotificationStore store, TimeProvider clock, IOptions<NotificationOptions> options, ILogger<AccessNotifier> logger) : IAccessDecisionObserver
{
    private readonly HashSet<string> _handled = new(StringComparer.Ordinal);

    private readonly List<(NotificationRecord Notification, bool CheckFirst)> _pending = [];

    /// <summary>
    /// Records what to notify; nothing is written yet. The endpoint may be inside its own write transaction (an update or
    /// delete reads under the record's decision first), and on SQLite a second writer would wait for that transaction's lock.
    /// </summary>
    public void Accessed(Requester requester, string patientId, RecordDirectives record, AccessDecision decision)
    {
        if (requester is not { Kind: RequesterKind.Professional, IdNatPs: { } idNatPs } || !decision.IsAllowed || !_handled.Add(patientId))
        {
            return;
        }

        if (decision.IsEmergency)
        {
            // CSP R1111-48: an emergency access notifies the patient and each médecin traitant (not the one who accessed),
            // once per episode (issue 15): the episode's keys make concurrent requests of one instant write it once.
            var episode = EpisodeOf(clock.GetUtcNow());
            _pending.Add((Notification(requester, patientId, NotificationReason.EmergencyAccess, $"emergency:{patientId}:{idNatPs}:{episode}:patient", null), false));
            foreach (var doctor in record.TreatingDoctors.Where(d => d != idNatPs).Order(StringComparer.Ordinal))
            {
                _pending.Add((Notification(requester, patientId, NotificationReason.EmergencyAccess, $"emergency:{patientId}:{idNatPs}:{episode}:{doctor}", doctor), false));
            }

            return;
        }

        // DMP-RULES §4: the first access by each professional; the unique key makes it once across requests and instances.
        _pending.Add((Notification(requester, patientId, NotificationReason.FirstAccess, $"first-access:{patientId}:{idNatPs}", null), true));
    }

    /// <summary>
    /// Writes what <see cref="Accessed"/> recorded, after the endpoint ran and before the response leaves (the audit trail
    /// holds the body). Never throws: a failed notification is logged, and the access it is about stands.
    /// </summary>
    public async Task FlushAsync()
    {
        var episodesOpen = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var (notification, checkFirst) in _pending)
        {
            try
            {
                if (notification.Reason == NotificationReason.EmergencyAccess && await InOpenEpisodeAsync(notification, episodesOpen))
                {
                    continue;
                }

                // The access happened: a client going away does not cancel its notification. Looking first spares a
                // failed insert on every later read by the same professional.
                if (!checkFirst || !await store.IsSentAsync(notification.Key, CancellationToken.None))
                {
                    await store.TryAddAsync(notification, CancellationToken.None);
                }
            }
            catch (Exception e)
            {
                logger.LogError(e, "Could not send the {Reason} notification of {IdNatPs} ({PurposeOfUse}) about record {PatientId}",
                    notification.Reason, notification.IdNatPs, notification.PurposeOfUse, notification.PatientId);
            }
        }

        _pending.Clear();
    }

    /// <summary>
    /// Whether this professional's emergency on this record was already notified within Notifications:EmergencyEpisodeWindow:
    /// the window runs from the episode's first notice, so an access 3 h 59 after it adds nothing and one at 4 h 01 opens
    /// the next episode. Asked once per record and request, on the notice to the patient (every episode has one).
    /// </summary>
    private async Task<bool> InOpenEpisodeAsync(NotificationRecord notification, Dictionary<string, bool> known)
    {
        if (!known.TryGetValue(notification.PatientId, out var open))
        {
            var since = notification.SentAt - options.Value.EmergencyEpisodeWindow;
            open = await store.EmergencyNotifiedSinceAsync(notification.PatientId, notification.IdNatPs!, since, CancellationToken.None);
            known[notification.PatientId] = open;
        }

        return open;
    }

    /// <summary>The window the instant falls in: the unique key of an episode's first notices (two instances racing write one).</summary>
    private long EpisodeOf(DateTimeOffset now) => now.UtcTicks / options.Value.EmergencyEpisodeWindow.Ticks;

    private NotificationRecord Notification(Requester requester, string patientId, NotificationReason reason, string key, string? recipientIdNatPs) => new()
    {
        PatientId = patientId,
        RecipientIdNatPs = recipientIdNatPs,
        Reason = reason,
        IdNatPs = requester.IdNatPs,
        ProfessionalName = requester.Name,
        Profession = requester.Profession,
        PurposeOfUse = requester.PurposeOfUse,
        SentAt = clock.GetUtcNow().UtcDateTime,
        Key = key,
        // The outbox entry is this row (issue 15): due for mail at once.
        NextAttemptAt = clock.GetUtcNow().UtcDateTime,
    };
}
