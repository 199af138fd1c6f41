using DmpApi.Access;
using DmpApi.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DmpApi.Notifications;

/// <summary>
/// CSP R1111-53 (DMP-RULES §2 rule 7): two weeks after its deposit, a document still labelled INVISIBLE_PATIENT (no
/// announcement consultation yet) makes the patient be told that their record was updated, without naming the document.
/// Runs every Notifications:SweepInterval on the injected clock; the unique key makes repeated or concurrent sweeps
/// (several instances) notify once.
/// </summary>
public sealed class UnannouncedDocumentSweeper(
    IServiceScopeFactory scopes,
    NotificationStore store,
    TimeProvider clock,
    IOptions<NotificationOptions> options,
    ILogger<UnannouncedDocumentSweeper> logger) : BackgroundService
{
    /// <summary>CSP R1111-53: the patient is notified at two weeks without announcement.</summary>
    public static readonly TimeSpan NotifyAfter = TimeSpan.FromDays(14);

    private const string DocumentReference = "DocumentReference";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A failed sweep is retried at the next tick: nothing was marked as notified that was not.
        await PeriodicRounds.RunAsync(options.Value.SweepInterval, clock, SweepAsync,
            e => logger.LogError(e, "The sweep of unannounced INVISIBLE_PATIENT documents failed"), stoppingToken);
    }

    /// <summary>One sweep: notifies each patient concerned once per document; returns how many notifications it sent.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var depositedBefore = (now - NotifyAfter).UtcDateTime;
        List<(string DocumentId, string PatientId)> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
            var (system, code) = (DmpCodes.InvisibleToPatient.System, DmpCodes.InvisibleToPatient.Code);
            // The label on the current version (the token index holds current versions); the deposit is version 1's time.
            var notifications = db.Notifications; // an extension property cannot appear inside the query's expression tree
            var rows = await (
                    from label in db.TokenIndex
                    where label.ResourceType == DocumentReference && label.ParamName == "security-label"
                        && label.System == system && label.Code == code
                    join current in db.Resources on label.ResourceRowId equals current.Id
                    where current.IsCurrent && !current.IsDeleted && current.PatientId != null
                    join first in db.Resources on current.LogicalId equals first.LogicalId
                    where first.ResourceType == DocumentReference && first.VersionId == 1 && first.LastUpdated <= depositedBefore
                    where !notifications.Any(n => n.PatientId == current.PatientId && n.Reason == NotificationReason.UnannouncedDocument && n.DocumentId == current.LogicalId)
                    select new { current.LogicalId, current.PatientId })
                .Distinct()
                .AsNoTracking()
                .ToListAsync(cancellationToken);
            due = rows.ConvertAll(r => (r.LogicalId, r.PatientId!));
        }

        var sent = 0;
        foreach (var (documentId, patientId) in due)
        {
            var notification = new NotificationRecord
            {
                PatientId = patientId,
                Reason = NotificationReason.UnannouncedDocument,
                DocumentId = documentId,
                SentAt = now.UtcDateTime,
                Key = $"invisible:{documentId}",
                NextAttemptAt = now.UtcDateTime,
            };
            if (await store.TryAddAsync(notification, cancellationToken))
            {
                sent++;
            }
        }

        if (sent > 0)
        {
            logger.LogInformation("Notified {Count} patients of documents unannounced since {DepositedBefore:O} (CSP R1111-53)", sent, depositedBefore);
        }

        return sent;
    }
}
