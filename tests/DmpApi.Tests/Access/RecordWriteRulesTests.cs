using DmpApi.Access;
using static DmpApi.Tests.Access.Requesters;

namespace DmpApi.Tests.Access;

/// <summary>DMP-RULES §3 at record level: who may add documents and allergies.</summary>
public sealed class RecordWriteRulesTests
{
    private static AccessDecision DecideWrite(DmpApi.Auth.Requester requester, RecordBuilder record, bool authoredEarlierDocument = false) =>
        RecordAccessRules.DecideWrite(requester, record.Build(), authoredEarlierDocument, At.Now);

    [Test]
    public void Permitted_professional_adds_to_the_record() =>
        Assert.That(DecideWrite(Doctor(), new RecordBuilder().Permitting(DoctorId)).Mode, Is.EqualTo(AccessMode.Permit));

    [Test]
    public void Professional_breaking_the_glass_adds_to_the_record() =>
        Assert.That(DecideWrite(Doctor(purpose: DmpCodes.BreakTheGlass), new RecordBuilder()).Mode, Is.EqualTo(AccessMode.BreakTheGlass));

    [Test]
    public void Professional_without_permit_who_authored_nothing_cannot_add() =>
        Assert.That(DecideWrite(Doctor(), new RecordBuilder()).Denial?.Reason, Is.EqualTo(AccessDenialReason.NoPermit));

    [Test]
    public void Author_of_an_earlier_document_adds_without_a_permit() =>
        Assert.That(DecideWrite(Pharmacist(), new RecordBuilder(), authoredEarlierDocument: true).Mode, Is.EqualTo(AccessMode.Author));

    [Test]
    public void Author_of_an_earlier_document_adds_after_their_permit_expired() =>
        Assert.That(DecideWrite(Doctor(), new RecordBuilder().Permitting(DoctorId, end: "2026-01-31"), authoredEarlierDocument: true).Mode,
            Is.EqualTo(AccessMode.Author));

    [Test]
    public void Author_of_an_earlier_document_adds_even_when_emergency_access_is_opposed() =>
        Assert.That(DecideWrite(Doctor(purpose: DmpCodes.BreakTheGlass), new RecordBuilder().OpposingBreakTheGlass(), authoredEarlierDocument: true).Mode,
            Is.EqualTo(AccessMode.Author));

    [Test]
    public void Author_of_an_earlier_document_is_still_stopped_by_a_block() =>
        Assert.That(DecideWrite(Doctor(), new RecordBuilder().Blocking(DoctorId), authoredEarlierDocument: true).Denial?.Reason,
            Is.EqualTo(AccessDenialReason.ProfessionalBlocked));

    [Test]
    public void Author_of_an_earlier_document_cannot_feed_a_closed_record() =>
        Assert.That(DecideWrite(Doctor(), new RecordBuilder().Closed(), authoredEarlierDocument: true).Denial?.Reason,
            Is.EqualTo(AccessDenialReason.RecordClosed));

    [Test]
    public void Patient_adds_to_their_own_record() =>
        Assert.That(DecideWrite(Patient(), new RecordBuilder()).Mode, Is.EqualTo(AccessMode.Patient));

    [Test]
    public void Patient_reopens_a_closed_record_before_adding_to_it()
    {
        var decision = DecideWrite(Patient(), new RecordBuilder().Closed());

        Assert.That(decision.Denial?.Reason, Is.EqualTo(AccessDenialReason.RecordClosed));
        Assert.That(decision.Denial?.Message, Does.Contain("reopen"));
    }

    [Test]
    public void Patient_cannot_add_to_another_patients_record() =>
        Assert.That(DecideWrite(Patient(OtherIns), new RecordBuilder()).Denial?.Reason, Is.EqualTo(AccessDenialReason.NotOwnRecord));
}
