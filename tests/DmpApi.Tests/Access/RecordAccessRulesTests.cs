using DmpApi.Access;
using static DmpApi.Tests.Access.Requesters;

namespace DmpApi.Tests.Access;

/// <summary>DMP-RULES §2 rules 1–4 and 8 (who may read a record), in their order.</summary>
public sealed class RecordAccessRulesTests
{
    private static AccessDecision Decide(DmpApi.Auth.Requester requester, RecordBuilder record) =>
        RecordAccessRules.Decide(requester, record.Build(), At.Now);

    private static void AssertDenied(AccessDecision decision, AccessDenialReason reason)
    {
        Assert.That(decision.IsAllowed, Is.False, decision.ToString());
        Assert.That(decision.Denial!.Reason, Is.EqualTo(reason), decision.ToString());
        Assert.That(decision.Mode, Is.Null);
    }

    private static void AssertAllowed(AccessDecision decision, AccessMode mode)
    {
        Assert.That(decision.IsAllowed, Is.True, decision.ToString());
        Assert.That(decision.Mode, Is.EqualTo(mode));
        Assert.That(decision.Denial, Is.Null);
    }

    // Rule 1: closed record.

    [Test]
    public void Closed_record_denies_a_professional_even_with_a_permit() =>
        AssertDenied(Decide(Doctor(), new RecordBuilder().Closed().Permitting(DoctorId)), AccessDenialReason.RecordClosed);

    [Test]
    public void Closed_record_denies_a_treating_doctor() =>
        AssertDenied(Decide(Doctor(), new RecordBuilder().Closed().WithTreatingDoctor(DoctorId)), AccessDenialReason.RecordClosed);

    [TestCase(DmpCodes.BreakTheGlass)]
    [TestCase(DmpCodes.Regulation)]
    public void Closed_record_denies_a_professional_in_emergency(string purpose) =>
        AssertDenied(Decide(Doctor(purpose: purpose), new RecordBuilder().Closed()), AccessDenialReason.RecordClosed);

    [Test]
    public void Closed_record_denial_says_only_the_patient_can_reopen_it()
    {
        var decision = Decide(Doctor(), new RecordBuilder().Closed());

        Assert.That(decision.Denial!.Code, Is.EqualTo("record-closed"));
        Assert.That(decision.Denial.Message, Does.Contain("closed").And.Contain("Only the patient can reopen it"));
    }

    [Test]
    public void Patient_reads_their_own_closed_record() =>
        AssertAllowed(Decide(Patient(), new RecordBuilder().Closed()), AccessMode.Patient);

    // Rule 8 (record level): the patient reads their own record, and only theirs.

    [Test]
    public void Patient_reads_their_own_record() => AssertAllowed(Decide(Patient(), new RecordBuilder()), AccessMode.Patient);

    [Test]
    public void Patient_is_recognised_whatever_the_spacing_of_their_INS() =>
        AssertAllowed(Decide(Patient(string.Join(' ', RecordIns.Chunk(3).Select(c => new string(c)))), new RecordBuilder()), AccessMode.Patient);

    [Test]
    public void Patient_cannot_read_another_patients_record() =>
        AssertDenied(Decide(Patient(OtherIns), new RecordBuilder()), AccessDenialReason.NotOwnRecord);

    // Rule 2: blocked professional.

    [Test]
    public void Blocked_professional_is_denied_even_when_breaking_the_glass() =>
        AssertDenied(Decide(Doctor(purpose: DmpCodes.BreakTheGlass), new RecordBuilder().Blocking(DoctorId)), AccessDenialReason.ProfessionalBlocked);

    [Test]
    public void Blocked_professional_is_denied_even_in_regulation_mode() =>
        AssertDenied(Decide(Doctor(purpose: DmpCodes.Regulation), new RecordBuilder().Blocking(DoctorId)), AccessDenialReason.ProfessionalBlocked);

    [Test]
    public void Blocked_professional_is_denied_even_with_a_permit() =>
        AssertDenied(Decide(Doctor(), new RecordBuilder().Permitting(DoctorId).Blocking(DoctorId)), AccessDenialReason.ProfessionalBlocked);

    [Test]
    public void Blocked_treating_doctor_is_denied() =>
        AssertDenied(Decide(Doctor(), new RecordBuilder().WithTreatingDoctor(DoctorId).Blocking(DoctorId)), AccessDenialReason.ProfessionalBlocked);

    [Test]
    public void Blocking_another_professional_does_not_deny_a_permitted_one() =>
        AssertAllowed(Decide(Doctor(), new RecordBuilder().Permitting(DoctorId).Blocking(OtherId)), AccessMode.Permit);

    [Test]
    public void Revoked_block_no_longer_denies() =>
        AssertAllowed(Decide(Doctor(), new RecordBuilder().Permitting(DoctorId).With(Consents.Block(DoctorId).Revoked())), AccessMode.Permit);

    [Test]
    public void Block_denial_says_no_mode_overrides_it() =>
        Assert.That(Decide(Doctor(), new RecordBuilder().Blocking(DoctorId)).Denial!.Message, Does.Contain("emergency included"));

    // Rule 3: emergency modes.

    [Test]
    public void Break_the_glass_is_allowed_without_a_permit()
    {
        var decision = Decide(Pharmacist(purpose: DmpCodes.BreakTheGlass), new RecordBuilder());

        AssertAllowed(decision, AccessMode.BreakTheGlass);
        Assert.That(decision.IsEmergency, Is.True, "R1111-48: the patient and the médecins traitants are notified");
    }

    [Test]
    public void Break_the_glass_is_denied_when_the_patient_opposed_it() =>
        AssertDenied(Decide(Doctor(purpose: DmpCodes.BreakTheGlass), new RecordBuilder().OpposingBreakTheGlass()), AccessDenialReason.BreakTheGlassOpposed);

    [Test]
    public void Revoked_opposition_to_break_the_glass_no_longer_denies() =>
        AssertAllowed(Decide(Doctor(purpose: DmpCodes.BreakTheGlass), new RecordBuilder().With(Consents.Opposition(DmpCodes.BreakTheGlass).Revoked())),
            AccessMode.BreakTheGlass);

    [Test]
    public void Opposed_break_the_glass_tells_an_authorised_professional_to_use_normal_mode()
    {
        var decision = Decide(Doctor(purpose: DmpCodes.BreakTheGlass), new RecordBuilder().OpposingBreakTheGlass().Permitting(DoctorId));

        AssertDenied(decision, AccessDenialReason.BreakTheGlassOpposed);
        Assert.That(decision.Denial!.Message, Does.Contain("purpose of use TREAT"));
    }

    [Test]
    public void Regulation_is_allowed_to_a_doctor_without_a_permit()
    {
        var decision = Decide(Doctor(purpose: DmpCodes.Regulation), new RecordBuilder());

        AssertAllowed(decision, AccessMode.Regulation);
        Assert.That(decision.IsEmergency, Is.True);
    }

    [Test]
    public void Regulation_is_denied_when_the_patient_opposed_it() =>
        AssertDenied(Decide(Doctor(purpose: DmpCodes.Regulation), new RecordBuilder().OpposingRegulation()), AccessDenialReason.RegulationOpposed);

    [Test]
    public void Opposition_to_break_the_glass_does_not_stop_regulation() =>
        AssertAllowed(Decide(Doctor(purpose: DmpCodes.Regulation), new RecordBuilder().OpposingBreakTheGlass()), AccessMode.Regulation);

    [Test]
    public void Opposition_to_regulation_does_not_stop_break_the_glass() =>
        AssertAllowed(Decide(Doctor(purpose: DmpCodes.BreakTheGlass), new RecordBuilder().OpposingRegulation()), AccessMode.BreakTheGlass);

    [Test]
    public void Regulation_is_reserved_to_the_regulating_doctor() =>
        AssertDenied(Decide(Pharmacist(purpose: DmpCodes.Regulation), new RecordBuilder()), AccessDenialReason.RegulationNeedsDoctor);

    [Test]
    public void Regulation_needs_the_identity_providers_regulation_attribute() =>
        AssertDenied(Decide(Doctor(purpose: DmpCodes.Regulation) with { HasRegulationAttribute = false }, new RecordBuilder()),
            AccessDenialReason.RegulationNeedsAttribute);

    [Test]
    public void Break_the_glass_without_a_justification_is_denied() =>
        AssertDenied(Decide(Doctor(purpose: DmpCodes.BreakTheGlass) with { PurposeOfUseReason = null }, new RecordBuilder()),
            AccessDenialReason.BreakTheGlassNeedsJustification);

    [Test]
    public void Treating_doctor_breaking_the_glass_is_still_known_as_treating_doctor()
    {
        var decision = Decide(Doctor(purpose: DmpCodes.BreakTheGlass), new RecordBuilder().WithTreatingDoctor(DoctorId));

        AssertAllowed(decision, AccessMode.BreakTheGlass);
        Assert.That(decision.IsTreatingDoctor, Is.True);
    }

    // Rule 4: normal mode.

    [Test]
    public void Treatment_without_a_permit_is_denied()
    {
        var decision = Decide(Doctor(), new RecordBuilder());

        AssertDenied(decision, AccessDenialReason.NoPermit);
        Assert.That(decision.Denial!.Message, Does.Contain("declare their agreement").And.Contain("BTG"));
    }

    [Test]
    public void Permit_authorises_treatment() => AssertAllowed(Decide(Doctor(), new RecordBuilder().Permitting(DoctorId)), AccessMode.Permit);

    [Test]
    public void Permit_within_its_period_authorises() =>
        AssertAllowed(Decide(Doctor(), new RecordBuilder().Permitting(DoctorId, "2026-11-01", "2026-12-31")), AccessMode.Permit);

    [Test]
    public void Permit_outside_its_period_does_not_authorise()
    {
        var decision = Decide(Doctor(), new RecordBuilder().Permitting(DoctorId, "2026-01-01", "2026-06-30"));

        AssertDenied(decision, AccessDenialReason.PermitExpired);
        Assert.That(decision.Denial!.Message, Does.Contain("ended on 2026-06-30"));
    }

    [Test]
    public void Permit_not_yet_started_does_not_authorise()
    {
        var decision = Decide(Doctor(), new RecordBuilder().Permitting(DoctorId, "2026-12-01"));

        AssertDenied(decision, AccessDenialReason.PermitNotYetValid);
        Assert.That(decision.Denial!.Message, Does.Contain("starts on 2026-12-01"));
    }

    [Test]
    public void Permit_holds_through_the_whole_of_its_last_day() =>
        AssertAllowed(RecordAccessRules.Decide(Doctor(), new RecordBuilder().Permitting(DoctorId, end: "2026-11-23").Build(), new DateTimeOffset(2026, 11, 23, 23, 59, 0, TimeSpan.Zero)),
            AccessMode.Permit);

    [Test]
    public void Permit_with_a_time_ends_at_that_time() =>
        AssertDenied(Decide(Doctor(), new RecordBuilder().Permitting(DoctorId, end: "2026-11-23T10:00:00+01:00")), AccessDenialReason.PermitExpired);

    [Test]
    public void An_expired_permit_does_not_hide_a_current_one() =>
        AssertAllowed(Decide(Doctor(), new RecordBuilder().Permitting(DoctorId, "2025-01-01", "2025-12-31").Permitting(DoctorId, "2026-11-01")), AccessMode.Permit);

    [Test]
    public void Revoked_permit_does_not_authorise() =>
        AssertDenied(Decide(Doctor(), new RecordBuilder().With(Consents.Permit(DoctorId).Revoked())), AccessDenialReason.NoPermit);

    [Test]
    public void Permit_for_another_professional_does_not_authorise() =>
        AssertDenied(Decide(Doctor(), new RecordBuilder().Permitting(OtherId)), AccessDenialReason.NoPermit);

    [Test]
    public void Treating_doctor_reads_without_a_permit()
    {
        var decision = Decide(Doctor(), new RecordBuilder().WithTreatingDoctor(OtherId).WithTreatingDoctor(DoctorId));

        AssertAllowed(decision, AccessMode.TreatingDoctor);
        Assert.That(decision.IsTreatingDoctor, Is.True);
    }

    [Test]
    public void Treating_doctor_status_belongs_to_doctors_only() =>
        AssertDenied(Decide(Pharmacist(), new RecordBuilder().WithTreatingDoctor(PharmacistId)), AccessDenialReason.NoPermit);

    [Test]
    public void Unknown_purpose_of_use_is_denied() =>
        AssertDenied(Decide(Doctor(purpose: "HRESCH"), new RecordBuilder().Permitting(DoctorId)), AccessDenialReason.UnknownPurposeOfUse);

    [Test]
    public void Professional_without_idNatPs_is_denied() =>
        AssertDenied(Decide(Doctor() with { IdNatPs = null }, new RecordBuilder()), AccessDenialReason.NoProfessionalIdentity);

    // Issue 15 item 4: a permit whose purpose is an emergency mode authorises that professional in that mode only.

    [Test]
    public void Emergency_only_permit_lets_its_professional_break_the_glass_despite_the_opposition() =>
        AssertAllowed(Decide(Doctor(purpose: DmpCodes.BreakTheGlass),
            new RecordBuilder().OpposingBreakTheGlass().PermittingOnlyIn(DmpCodes.BreakTheGlass, DoctorId)), AccessMode.BreakTheGlass);

    [Test]
    public void Emergency_only_permit_lets_its_regulating_doctor_through_the_opposition_to_regulation() =>
        AssertAllowed(Decide(Doctor(purpose: DmpCodes.Regulation),
            new RecordBuilder().OpposingRegulation().PermittingOnlyIn(DmpCodes.Regulation, DoctorId)), AccessMode.Regulation);

    [Test]
    public void Emergency_only_permit_grants_no_normal_access() =>
        AssertDenied(Decide(Doctor(), new RecordBuilder().PermittingOnlyIn(DmpCodes.BreakTheGlass, DoctorId)), AccessDenialReason.NoPermit);

    [Test]
    public void Emergency_only_permit_is_for_its_own_mode_only() =>
        AssertDenied(Decide(Doctor(purpose: DmpCodes.Regulation),
            new RecordBuilder().OpposingRegulation().PermittingOnlyIn(DmpCodes.BreakTheGlass, DoctorId)), AccessDenialReason.RegulationOpposed);

    [Test]
    public void Emergency_only_permit_of_another_professional_does_not_lift_the_opposition() =>
        AssertDenied(Decide(Doctor(purpose: DmpCodes.BreakTheGlass),
            new RecordBuilder().OpposingBreakTheGlass().PermittingOnlyIn(DmpCodes.BreakTheGlass, OtherId)), AccessDenialReason.BreakTheGlassOpposed);

    [Test]
    public void Ended_emergency_only_permit_does_not_lift_the_opposition() =>
        AssertDenied(Decide(Doctor(purpose: DmpCodes.BreakTheGlass),
            new RecordBuilder().OpposingBreakTheGlass().PermittingOnlyIn(DmpCodes.BreakTheGlass, DoctorId, end: "2026-01-31")),
            AccessDenialReason.BreakTheGlassOpposed);

    [Test]
    public void Emergency_only_permit_does_not_override_a_block() =>
        AssertDenied(Decide(Doctor(purpose: DmpCodes.BreakTheGlass),
            new RecordBuilder().PermittingOnlyIn(DmpCodes.BreakTheGlass, DoctorId).Blocking(DoctorId)), AccessDenialReason.ProfessionalBlocked);

    [Test]
    public void Every_denial_reason_has_its_own_stable_code()
    {
        var codes = Enum.GetValues<AccessDenialReason>().Select(r => new AccessDenial(r, "m").Code).ToList();

        Assert.That(codes, Is.Unique);
        Assert.That(codes, Has.All.Matches("^[a-z]+(-[a-z]+)*$"));
    }
}
