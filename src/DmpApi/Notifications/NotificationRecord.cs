using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace DmpApi.Notifications;

/// <summary>Why the patient (or a médecin traitant) was notified (DMP-RULES §4).</summary>
public enum NotificationReason
{
    /// <summary>A professional accessed the record for the first time.</summary>
    FirstAccess,

    /// <summary>Bris de glace or centre 15 regulation (CSP R1111-48): the patient and each médecin traitant, every time.</summary>
    EmergencyAccess,

    /// <summary>An INVISIBLE_PATIENT document still unannounced two weeks after its deposit (CSP R1111-53).</summary>
    UnannouncedDocument,
}

/// <summary>Where a notice's mail stands (issue 15); served as Communication.status with the SMTP outcome.</summary>
public enum NotificationDelivery
{
    /// <summary>Waiting for the sender: due at <see cref="NotificationRecord.NextAttemptAt"/>, or held by a lease while it is sent.</summary>
    Pending,

    /// <summary>The SMTP server accepted the mail (250 to the end of DATA).</summary>
    Delivered,

    /// <summary>Refused for good (5xx), or still failing after Notifications:Delivery:MaxAttempts attempts.</summary>
    Failed,

    /// <summary>The recipient has no mail address (Patient.telecom, or the médecin traitant's contained Practitioner.telecom).</summary>
    NoAddress,

    /// <summary>Written before notices were mailed: read in the app only, never sent.</summary>
    NotMailed,
}

/// <summary>
/// One notification sent about a record (DMP-RULES §4), served as a read-only FHIR Communication. <see cref="Key"/> is
/// unique: the database, not the application, makes sure concurrent requests or repeated sweeps notify once.
/// The row is also the mail outbox entry (issue 15): it is written in one insert with its delivery state, and
/// <see cref="NotificationSender"/> delivers from it, leasing the row so that several instances never send it together.
/// </summary>
public sealed class NotificationRecord
{
    public long Id { get; set; }

    /// <summary>The record the notification is about: the partition key (DESIGN §1).</summary>
    public required string PatientId { get; set; }

    /// <summary>The médecin traitant notified, by idNatPs; null when the recipient is the patient.</summary>
    public string? RecipientIdNatPs { get; set; }

    public NotificationReason Reason { get; set; }

    /// <summary>The professional who accessed the record (first or emergency access).</summary>
    public string? IdNatPs { get; set; }
    public string? ProfessionalName { get; set; }

    /// <summary>TRE_G15 profession code.</summary>
    public string? Profession { get; set; }

    /// <summary>v3-ActReason of the access: BTG or ETREAT for an emergency, TREAT otherwise.</summary>
    public string? PurposeOfUse { get; set; }

    /// <summary>The unannounced document; kept for idempotence only and never served (CSP R1111-53: the document stays hidden).</summary>
    public string? DocumentId { get; set; }

    public DateTime SentAt { get; set; }

    /// <summary>What makes the notification happen once, e.g. first-access:{patientId}:{idNatPs} or invisible:{documentId}.</summary>
    public required string Key { get; set; }

    // The outbox (issue 15): delivery by mail.

    public NotificationDelivery Delivery { get; set; } = NotificationDelivery.Pending;

    /// <summary>How many times a sender took the notice to send it; counted when taken, so a crash mid-send counts too.</summary>
    public int Attempts { get; set; }

    /// <summary>When the sender may take it next (now at first, later after a failure: exponential backoff); null once settled.</summary>
    public DateTime? NextAttemptAt { get; set; }

    /// <summary>The sender instance holding the notice while it sends it; the lease ends at <see cref="LeaseExpiresAt"/>, crash or not.</summary>
    public string? LeaseOwner { get; set; }

    public DateTime? LeaseExpiresAt { get; set; }

    /// <summary>The SMTP server's last answer (or why nothing was sent), shown to the patient as Communication.statusReason.</summary>
    public string? DeliveryOutcome { get; set; }

    public DateTime? DeliveredAt { get; set; }
}

// Provider-neutral mapping (as in Storage/EntityConfigurations.cs); provider specifics live only in each provider's migrations.
internal sealed class NotificationRecordConfiguration : IEntityTypeConfiguration<NotificationRecord>
{
    public void Configure(EntityTypeBuilder<NotificationRecord> b)
    {
        b.ToTable("Notifications");
        b.HasKey(n => n.Id);
        b.Property(n => n.PatientId).HasMaxLength(64);
        b.Property(n => n.RecipientIdNatPs).HasMaxLength(64);
        b.Property(n => n.Reason).HasConversion<string>().HasMaxLength(32);
        b.Property(n => n.IdNatPs).HasMaxLength(64);
        b.Property(n => n.ProfessionalName).HasMaxLength(256);
        b.Property(n => n.Profession).HasMaxLength(16);
        b.Property(n => n.PurposeOfUse).HasMaxLength(16);
        b.Property(n => n.DocumentId).HasMaxLength(64);
        b.Property(n => n.Key).HasMaxLength(256);
        // The arbiter of races: a second insert of the same key fails, and is read as "already notified".
        b.HasIndex(n => n.Key).IsUnique();
        // DESIGN §1: the patient is the partition key. Serves "Communication?patient=…" newest first.
        b.HasIndex(n => new { n.PatientId, n.SentAt });
        b.Property(n => n.Delivery).HasConversion<string>().HasMaxLength(16);
        b.Property(n => n.LeaseOwner).HasMaxLength(64);
        b.Property(n => n.DeliveryOutcome).HasMaxLength(512);
        // The sender's scan: due notices only; settled ones have no NextAttemptAt.
        b.HasIndex(n => n.NextAttemptAt);
        // Serves "Communication?recipient=…" of a médecin traitant, newest first.
        b.HasIndex(n => new { n.RecipientIdNatPs, n.SentAt });
    }
}
