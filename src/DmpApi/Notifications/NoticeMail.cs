using DmpApi.Access;
using Hl7.Fhir.Model;
using MimeKit;

namespace DmpApi.Notifications;

/// <summary>
/// What a notice says and where its mail goes (issue 15). The addresses are read when the mail is sent, from the record's
/// current Patient, so a changed address is used and no address is copied into the outbox:
/// the patient's is <c>Patient.telecom</c> with system email; a médecin traitant's is the email <c>telecom</c> of the
/// Practitioner contained in the Patient that carries their idNatPs (the reference in <c>generalPractitioner</c> points
/// to it, e.g. <c>#gp1</c>). None: the notice is settled as NoAddress (Communication.status not-done).
/// </summary>
public static class NoticeMail
{
    /// <summary>The notice in French and English, as the Communication's payload and the mail's body.</summary>
    public static string Text(NotificationRecord row)
    {
        var who = $"{row.ProfessionalName ?? "Un professionnel de santé / A health professional"} (idNatPs {row.IdNatPs}, profession {row.Profession})";
        var whose = row.RecipientIdNatPs is null ? ("votre DMP", "your record") : ("le DMP de votre patient", "your patient's record");
        return row.Reason switch
        {
            NotificationReason.FirstAccess => $"{who} a accédé pour la première fois à {whose.Item1} / accessed {whose.Item2} for the first time.",
            NotificationReason.EmergencyAccess when row.PurposeOfUse == DmpCodes.Regulation =>
                $"{who} a accédé à {whose.Item1} en mode régulation (centre 15) / accessed {whose.Item2} as the centre 15 regulating doctor.",
            NotificationReason.EmergencyAccess => $"{who} a accédé à {whose.Item1} en mode bris de glace / accessed {whose.Item2} in break-the-glass mode.",
            NotificationReason.UnannouncedDocument => "Votre DMP a été mis à jour / Your record was updated.",
            _ => throw new ArgumentOutOfRangeException(nameof(row), row.Reason, null),
        };
    }

    /// <summary>The recipient's mail address, from the record's current Patient; null when none is given.</summary>
    public static string? AddressOf(NotificationRecord row, Patient patient)
    {
        if (row.RecipientIdNatPs is not { } doctor)
        {
            return EmailOf(patient.Telecom);
        }

        var practitioner = patient.Contained.OfType<Practitioner>()
            .FirstOrDefault(p => p.Identifier.Any(i => i?.System == DmpCodes.IdNatPsSystem && i.Value?.Trim() == doctor));
        return practitioner is null ? null : EmailOf(practitioner.Telecom);
    }

    /// <summary>
    /// The mail of one notice. Its Message-Id comes from the notice's id: if a crash falls between the server's 250 and
    /// the outbox's update, the mail sent again carries the same Message-Id, which mail systems recognise as a duplicate.
    /// </summary>
    public static MimeMessage Build(NotificationRecord row, string to, MailboxAddress from)
    {
        var message = new MimeMessage
        {
            MessageId = $"notice-{row.Id}@{Domain(from)}",
            Subject = row.Reason switch
            {
                NotificationReason.FirstAccess => "Mon espace santé : nouvel accès à un DMP / new access to a record",
                NotificationReason.EmergencyAccess => "Mon espace santé : accès en urgence à un DMP / emergency access to a record",
                _ => "Mon espace santé : votre DMP a été mis à jour / your record was updated",
            },
            Date = new DateTimeOffset(DateTime.SpecifyKind(row.SentAt, DateTimeKind.Utc)),
            Body = new TextPart("plain") { Text = Text(row) },
        };
        message.From.Add(from);
        message.To.Add(MailboxAddress.Parse(to));
        return message;
    }

    private static string? EmailOf(IEnumerable<ContactPoint> telecom) => telecom
        .Where(t => t?.System == ContactPoint.ContactPointSystem.Email && !string.IsNullOrWhiteSpace(t.Value)
            && t.Use != ContactPoint.ContactPointUse.Old && MailboxAddress.TryParse(t.Value, out _))
        .OrderBy(t => t.Rank ?? int.MaxValue)
        .Select(t => t.Value!.Trim())
        .FirstOrDefault();

    private static string Domain(MailboxAddress from) => from.Domain is { Length: > 0 } domain ? domain : "dmpapi.local";
}
