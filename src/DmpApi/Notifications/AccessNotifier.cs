using DmpApi.Access;
using DmpApi.Auth;

namespace DmpApi.Notifications;

/// <summary>
/// Notifies on a professional's allowed access to a record (DMP-RULES §4), called by <see cref="AccessScope"/> with each
/// read decision. One per request: a record is handled once per request however many times the request decides on it.
/// </summary>
public sealed class AccessNotifier(NotificationStore store, TimeProvider clock, ILogger<AccessNotifier> logger)
{
    private readonly HashSet<string> _handled = new(StringComparer.Ordinal);

    /// <summary>Tells this request's emergency notifications from every other request's (keys are unique).</summary>
    private readonly string _requestKey = Guid.NewGuid().ToString("N");

    /// <summary>Never throws: a failed notification is logged, and the access it is about goes on.</summary>
    public async Task AccessedAsync(Requester requester, string patientId, RecordDirectives record, AccessDecision decision)
    {
        if (requester is not { Kind: RequesterKind.Professional, IdNatPs: { } idNatPs } || !decision.IsAllowed || !_handled.Add(patientId))
        {
            return;
        }

        try
        {
            // The access happened: a client going away does not cancel its notification.
            var ct = CancellationToken.None;
            if (decision.IsEmergency)
            {
                // CSP R1111-48: every emergency access notifies the patient and each médecin traitant (not the one who accessed).
                await store.TryAddAsync(Notification(requester, patientId, NotificationReason.EmergencyAccess, $"emergency:{patientId}:{_requestKey}:patient", null), ct);
                foreach (var doctor in record.TreatingDoctors.Where(d => d != idNatPs).Order(StringComparer.Ordinal))
                {
                    await store.TryAddAsync(Notification(requester, patientId, NotificationReason.EmergencyAccess, $"emergency:{patientId}:{_requestKey}:{doctor}", doctor), ct);
                }

                return;
            }

            // DMP-RULES §4: the first access by each professional. Looking first spares a failed insert on every later read.
            var key = $"first-access:{patientId}:{idNatPs}";
            if (!await store.IsSentAsync(key, ct))
            {
                await store.TryAddAsync(Notification(requester, patientId, NotificationReason.FirstAccess, key, null), ct);
            }
        }
        catch (Exception e)
        {
            logger.LogError(e, "Could not notify the access of {IdNatPs} ({PurposeOfUse}) to record {PatientId}", idNatPs, requester.PurposeOfUse, patientId);
        }
    }

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
    };
}
