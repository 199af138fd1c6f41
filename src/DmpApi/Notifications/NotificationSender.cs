using System.Net.Sockets;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using MailKit;
using MailKit.Net.Smtp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using MimeKit;

namespace DmpApi.Notifications;

/// <summary>
/// Mails the notices of the outbox (issue 15): every Notifications:Delivery:PollInterval, takes the due ones one at a
/// time with a lease (a conditional update only one instance can win), sends each through the SMTP server, and settles
/// it: Delivered with the server's answer, again later with exponential backoff after a temporary failure (4xx, no
/// connection), Failed after a permanent one (5xx) or MaxAttempts. A crash, or a stop, leaves the notice leased: once the
/// lease has expired an instance takes it again, so a notice is sent until a server accepted it. Off without a host.
/// </summary>
public sealed class NotificationSender(
    IServiceScopeFactory scopes,
    WriteGate writeGate,
    TimeProvider clock,
    IOptions<SmtpOptions> smtp,
    IOptions<DeliveryOptions> delivery,
    ILogger<NotificationSender> logger) : BackgroundService
{
    /// <summary>Tells this instance's leases from every other's (several instances share one outbox).</summary>
    private readonly string _owner = Truncate($"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}", 64);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!smtp.Value.IsConfigured)
        {
            logger.LogInformation("Notifications are not mailed: Notifications:Smtp:Host is not set");
            return;
        }

        // A failed round is retried at the next tick: a notice is settled only by what the server answered about it. On
        // stopping, a notice being sent keeps its lease, as after a crash; another round takes it once it expires.
        await PeriodicRounds.RunAsync(delivery.Value.PollInterval, clock, SendDueAsync,
            e => logger.LogError(e, "Mailing the due notifications failed"), stoppingToken);
    }

    /// <summary>One round: sends every notice due now that no other instance holds; returns how many the server accepted.</summary>
    public async Task<int> SendDueAsync(CancellationToken ct)
    {
        var options = delivery.Value;
        var now = clock.GetUtcNow().UtcDateTime;
        List<long> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
            due = await Due(db, now).OrderBy(n => n.NextAttemptAt).ThenBy(n => n.Id).Select(n => n.Id).Take(options.BatchSize).ToListAsync(ct);
        }

        if (due.Count == 0)
        {
            return 0;
        }

        var from = MailboxAddress.Parse(smtp.Value.From!);
        using var client = new SmtpClient { Timeout = (int)smtp.Value.Timeout.TotalMilliseconds };
        var accepted = 0;
        foreach (var id in due)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
            if (await TakeAsync(db, id, ct) is not { } notice)
            {
                continue; // another instance took it first
            }

            if (await AddressAsync(db, notice, ct) is not { } to)
            {
                await SettleAsync(db, id, NotificationDelivery.NoAddress, null, "No e-mail address for the recipient in the record (Patient.telecom, or the médecin traitant's contained Practitioner).", ct);
                continue;
            }

            try
            {
                if (!client.IsConnected)
                {
                    await ConnectAsync(client, ct);
                }

                var answer = await client.SendAsync(NoticeMail.Build(notice, to, from), ct);
                await SettleAsync(db, id, NotificationDelivery.Delivered, null, $"250 {answer}".Trim(), ct);
                accepted++;
                logger.LogInformation("Notification {NotificationId} ({Reason}) mailed on attempt {Attempt}", id, notice.Reason, notice.Attempts);
            }
            catch (SmtpCommandException e) when ((int)e.StatusCode >= 500)
            {
                await SettleAsync(db, id, NotificationDelivery.Failed, null, $"{(int)e.StatusCode} {e.Message}", ct);
                logger.LogWarning("Notification {NotificationId} refused for good by the SMTP server: {StatusCode} {Reply}", id, (int)e.StatusCode, e.Message);
            }
            catch (Exception e) when (e is SmtpCommandException or SmtpProtocolException or ServiceNotConnectedException or IOException or SocketException or TimeoutException
                || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                var outcome = e is SmtpCommandException command ? $"{(int)command.StatusCode} {command.Message}" : $"{e.GetType().Name}: {e.Message}";
                await RetryLaterAsync(db, notice, outcome, ct);
                if (e is not SmtpCommandException)
                {
                    await client.DisconnectAsync(quit: false, CancellationToken.None).ConfigureAwait(false);
                }
            }
        }

        if (client.IsConnected)
        {
            await client.DisconnectAsync(quit: true, ct);
        }

        return accepted;
    }

    private static IQueryable<NotificationRecord> Due(DmpDbContext db, DateTime now) =>
        db.Notifications.Where(n => n.Delivery == NotificationDelivery.Pending && n.NextAttemptAt <= now
            && (n.LeaseExpiresAt == null || n.LeaseExpiresAt <= now));

    /// <summary>The lease: a conditional update that one instance alone can win; the attempt is counted now, so a crash counts.</summary>
    private async Task<NotificationRecord?> TakeAsync(DmpDbContext db, long id, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var until = now + delivery.Value.LeaseDuration;
        int taken;
        using (await writeGate.EnterAsync(db, ct))
        {
            taken = await Due(db, now).Where(n => n.Id == id)
                .ExecuteUpdateAsync(s => s.SetProperty(n => n.LeaseOwner, _owner).SetProperty(n => n.LeaseExpiresAt, until).SetProperty(n => n.Attempts, n => n.Attempts + 1), ct);
        }

        return taken == 1 ? await db.Notifications.AsNoTracking().FirstAsync(n => n.Id == id, ct) : null;
    }

    /// <summary>After a temporary failure: due again after the backoff, or given up after MaxAttempts.</summary>
    private Task RetryLaterAsync(DmpDbContext db, NotificationRecord notice, string outcome, CancellationToken ct)
    {
        if (notice.Attempts >= delivery.Value.MaxAttempts)
        {
            logger.LogWarning("Notification {NotificationId} given up after {Attempts} attempts: {Outcome}", notice.Id, notice.Attempts, outcome);
            return SettleAsync(db, notice.Id, NotificationDelivery.Failed, null, outcome, ct);
        }

        var next = clock.GetUtcNow().UtcDateTime + delivery.Value.Backoff(notice.Attempts);
        logger.LogWarning("Notification {NotificationId} not mailed (attempt {Attempts}), again at {NextAttemptAt:O}: {Outcome}", notice.Id, notice.Attempts, next, outcome);
        return SettleAsync(db, notice.Id, NotificationDelivery.Pending, next, outcome, ct);
    }

    /// <summary>Records what happened and lets the lease go. Written whatever the stop: the server's answer is a fact.</summary>
    private async Task SettleAsync(DmpDbContext db, long id, NotificationDelivery state, DateTime? nextAttemptAt, string outcome, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        DateTime? deliveredAt = state == NotificationDelivery.Delivered ? now : null;
        var text = Truncate(outcome, 512);
        var owner = _owner;
        using (await writeGate.EnterAsync(db, CancellationToken.None))
        {
            // A delivery is a fact whoever holds the lease now; anything else is written only while this instance holds it
            // (after its lease expired, another instance may have taken the notice and settled it).
            await db.Notifications.Where(n => n.Id == id && (state == NotificationDelivery.Delivered || n.LeaseOwner == owner)).ExecuteUpdateAsync(s => s
                .SetProperty(n => n.Delivery, state)
                .SetProperty(n => n.NextAttemptAt, nextAttemptAt)
                .SetProperty(n => n.LeaseOwner, (string?)null)
                .SetProperty(n => n.LeaseExpiresAt, (DateTime?)null)
                .SetProperty(n => n.DeliveryOutcome, text)
                .SetProperty(n => n.DeliveredAt, deliveredAt), CancellationToken.None);
        }
    }

    private static string Truncate(string text, int length) => text.Length > length ? text[..length] : text;

    private static async Task<string?> AddressAsync(DmpDbContext db, NotificationRecord notice, CancellationToken ct)
    {
        var row = await db.Resources.AsNoTracking()
            .FirstOrDefaultAsync(r => r.ResourceType == "Patient" && r.LogicalId == notice.PatientId && r.IsCurrent && !r.IsDeleted, ct);
        return row is null ? null : NoticeMail.AddressOf(notice, (Patient)ResourceStore.ToStored(row).Resource!);
    }

    private async Task ConnectAsync(SmtpClient client, CancellationToken ct)
    {
        var options = smtp.Value;
        await client.ConnectAsync(options.Host!, options.Port, options.Security, ct);
        if (!string.IsNullOrEmpty(options.UserName))
        {
            await client.AuthenticateAsync(options.UserName, options.Password ?? string.Empty, ct);
        }
    }
}
