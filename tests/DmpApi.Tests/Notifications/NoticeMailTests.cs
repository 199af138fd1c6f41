using DmpApi.Notifications;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using MimeKit;

namespace DmpApi.Tests.Notifications;

/// <summary>Where a notice's mail goes and what identifies it (issue 15), read from the record's current Patient.</summary>
public sealed class NoticeMailTests
{
    private const string Doctor = "810005555555";

    [Test]
    public void The_patient_s_address_is_their_current_email_telecom_by_rank()
    {
        var patient = new Patient
        {
            Telecom =
            [
                new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, "0600000000"),
                new ContactPoint(ContactPoint.ContactPointSystem.Email, ContactPoint.ContactPointUse.Old, "old@patient.test"),
                new ContactPoint(ContactPoint.ContactPointSystem.Email, ContactPoint.ContactPointUse.Home, "second@patient.test") { Rank = 2 },
                new ContactPoint(ContactPoint.ContactPointSystem.Email, ContactPoint.ContactPointUse.Home, "first@patient.test") { Rank = 1 },
            ],
        };

        Assert.That(NoticeMail.AddressOf(Notice(recipient: null), patient), Is.EqualTo("first@patient.test"));
    }

    [Test]
    public void A_medecin_traitant_s_address_is_that_of_the_contained_practitioner_with_their_idNatPs()
    {
        var patient = new Patient();
        patient.Contained.Add(Practitioner("gp1", "810009999999", "colleague@cabinet.test"));
        patient.Contained.Add(Practitioner("gp2", Doctor, "traitant@cabinet.test"));

        Assert.Multiple(() =>
        {
            Assert.That(NoticeMail.AddressOf(Notice(recipient: Doctor), patient), Is.EqualTo("traitant@cabinet.test"));
            Assert.That(NoticeMail.AddressOf(Notice(recipient: "810001111111"), patient), Is.Null, "no contained Practitioner: no address");
        });
    }

    [Test]
    public void The_mail_s_Message_Id_comes_from_the_notice_so_a_resent_mail_is_recognisably_the_same()
    {
        var from = MailboxAddress.Parse("Mon espace santé <ne-pas-repondre@dmp.test>");

        var first = NoticeMail.Build(Notice(recipient: null, id: 42), "p@patient.test", from);
        var again = NoticeMail.Build(Notice(recipient: null, id: 42), "p@patient.test", from);
        var other = NoticeMail.Build(Notice(recipient: null, id: 43), "p@patient.test", from);

        Assert.That((first.MessageId, again.MessageId == first.MessageId, other.MessageId == first.MessageId),
            Is.EqualTo(("notice-42@dmp.test", true, false)));
    }

    private static NotificationRecord Notice(string? recipient, long id = 1) => new()
    {
        Id = id,
        PatientId = "p1",
        RecipientIdNatPs = recipient,
        Reason = NotificationReason.FirstAccess,
        IdNatPs = "810003333333",
        Profession = "10",
        SentAt = DateTime.UtcNow,
        Key = $"first-access:p1:{id}",
    };

    private static Practitioner Practitioner(string id, string idNatPs, string email) => new()
    {
        Id = id,
        Identifier = [new Identifier(Systems.IdNatPs, idNatPs)],
        Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Email, ContactPoint.ContactPointUse.Work, email)],
    };
}
