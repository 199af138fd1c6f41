using System.Globalization;
using DmpApi.Auth;

namespace DmpApi.Access;

/// <summary>
/// Who may read or feed a patient's record (DMP-RULES §2 rules 1–4, §3), evaluated in the rules' order: the first rule
/// that decides, decides. Pure: no clock, no I/O; the caller passes the record's directives and the instant.
/// </summary>
public static class RecordAccessRules
{
    /// <summary>Issue 15: a system requester deposits and never reads, whatever its scopes.</summary>
    public const string SystemReadsNothingMessage =
        "A system (client credentials) feeds records with documents and health profile entries; it reads nothing of them, nor of their traces.";

    /// <summary>Whether the requester may read the record, and in which mode (DMP-RULES §2 rules 1–4 and 8).</summary>
    public static AccessDecision Decide(Requester requester, RecordDirectives record, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(requester);
        ArgumentNullException.ThrowIfNull(record);

        if (requester.Kind == RequesterKind.Patient)
        {
            // DMP-RULES §2 rules 1 and 8: the patient reads their own record, even closed (they may reopen it).
            return record.BelongsTo(requester.Ins) ? AccessDecision.Allow(AccessMode.Patient) : NotOwnRecord();
        }

        if (requester.Kind == RequesterKind.System)
        {
            return AccessDecision.Deny(AccessDenialReason.SystemReadsNothing, SystemReadsNothingMessage);
        }

        if (requester.IdNatPs is not { Length: > 0 } idNatPs)
        {
            return AccessDecision.Deny(AccessDenialReason.NoProfessionalIdentity,
                "Your token does not carry your professional national identifier (idnps); sign in again with your professional card or e-CPS.");
        }

        if (ClosedOrBlocked(idNatPs, record, now) is { } refused)
        {
            return refused;
        }

        var treatingDoctor = IsTreatingDoctor(requester, idNatPs, record);
        switch (requester.PurposeOfUse)
        {
            case DmpCodes.BreakTheGlass:
                // A bris de glace is justified, and the justification is traced (CSP L1111-17 I: the professional accounts for it).
                if (requester.PurposeOfUseReason is null)
                {
                    return AccessDecision.Deny(AccessDenialReason.BreakTheGlassNeedsJustification,
                        "Bris de glace (purpose BTG) needs a justification: sign in again giving the reason of the emergency "
                        + "(Pro Santé Connect: Mode_Acces_Raison; development tokens: purpose_of_use_reason, `token --reason`).");
                }

                // DMP-RULES §2 rule 3: bris de glace is allowed unless the patient opposed it.
                // An emergency-only permit (purpose BTG) lets that professional through the opposition, in this mode only.
                return record.OpposesBreakTheGlass(now) && !record.PermitsInEmergency(idNatPs, ConsentDirectiveKind.BreakTheGlassPermit, now)
                    ? AccessDecision.Deny(AccessDenialReason.BreakTheGlassOpposed,
                        "The patient has opposed emergency (bris de glace) access to their DMP. " + NormalModeHint(record, idNatPs, treatingDoctor, now))
                    : AccessDecision.Allow(AccessMode.BreakTheGlass, treatingDoctor);

            case DmpCodes.Regulation:
                // CSP L1111-17 I: regulation access belongs to the regulating doctor (médecin régulateur) of the centre 15.
                if (requester.Profession != DmpCodes.Doctor)
                {
                    return AccessDecision.Deny(AccessDenialReason.RegulationNeedsDoctor,
                        "Centre 15 regulation access (purpose ETREAT) is reserved to the regulating doctor (profession 10, médecin). "
                        + "Use bris de glace (BTG) in an emergency, or normal access (TREAT) with the patient's authorisation.");
                }

                // The identity provider's regulation attribute (PSC: Acces_Regulation_Medicale) says who regulates, not the token's mode.
                if (!requester.HasRegulationAttribute)
                {
                    return AccessDecision.Deny(AccessDenialReason.RegulationNeedsAttribute,
                        "Centre 15 regulation access (purpose ETREAT) needs the medical regulation attribute of your Pro Santé Connect account "
                        + "(Acces_Regulation_Medicale), which your token does not carry. Ask your centre 15 to have it granted, "
                        + "or use bris de glace (BTG, with a justification) in an emergency.");
                }

                // DMP-RULES §2 rule 3: independent of the opposition to bris de glace.
                return record.OpposesRegulation(now) && !record.PermitsInEmergency(idNatPs, ConsentDirectiveKind.RegulationPermit, now)
                    ? AccessDecision.Deny(AccessDenialReason.RegulationOpposed,
                        "The patient has opposed access to their DMP by the centre 15 regulating doctor. " + NormalModeHint(record, idNatPs, treatingDoctor, now))
                    : AccessDecision.Allow(AccessMode.Regulation, treatingDoctor);

            case DmpCodes.Treatment:
                return DecideTreatment(idNatPs, treatingDoctor, record, now);

            default:
                return AccessDecision.Deny(AccessDenialReason.UnknownPurposeOfUse,
                    $"The purpose of use '{requester.PurposeOfUse}' is not one of TREAT, BTG or ETREAT; sign in again with one of them.");
        }
    }

    /// <summary>
    /// Whether the requester may add documents or allergies to the record (DMP-RULES §3): rules 1–4, or, without a
    /// permit, being the author of an earlier document of this record, which still has to pass rules 1–2.
    /// </summary>
    /// <param name="authoredEarlierDocument">The requester's idNatPs is the recorded author of a document already in this record.</param>
    /// <param name="reopensRecord">The write is the holder's reopening of their closed record (DMP-RULES §3), which a closed record accepts.</param>
    public static AccessDecision DecideWrite(Requester requester, RecordDirectives record, bool authoredEarlierDocument, DateTimeOffset now, bool reopensRecord = false)
    {
        ArgumentNullException.ThrowIfNull(requester);
        ArgumentNullException.ThrowIfNull(record);

        if (requester.Kind == RequesterKind.Patient)
        {
            if (!record.BelongsTo(requester.Ins))
            {
                return NotOwnRecord();
            }

            // A closed record is not fed (DMP-RULES §2 rule 1); the patient reopens it first.
            return record.IsClosed && !reopensRecord
                ? AccessDecision.Deny(AccessDenialReason.RecordClosed, "Your DMP is closed: reopen it (Patient.active = true) before adding to it.")
                : AccessDecision.Allow(AccessMode.Patient);
        }

        if (requester.Kind == RequesterKind.System)
        {
            // Issue 15: the Assurance Maladie feeds every open record with the care history it reimbursed; a closed one takes nothing.
            return record.IsClosed
                ? AccessDecision.Deny(AccessDenialReason.RecordClosed, "This patient's DMP is closed: it takes no new document or entry.")
                : AccessDecision.Allow(AccessMode.System);
        }

        var decision = Decide(requester, record, now);
        if (decision.IsAllowed || !authoredEarlierDocument || requester.IdNatPs is not { Length: > 0 } idNatPs
            || decision.Denial.Reason is AccessDenialReason.UnknownPurposeOfUse)
        {
            return decision;
        }

        // CSP R1111-47: feeding cannot be refused to an earlier author, but a closed record or a block still stops it.
        return ClosedOrBlocked(idNatPs, record, now) ?? AccessDecision.Allow(AccessMode.Author, IsTreatingDoctor(requester, idNatPs, record));
    }

    /// <summary>DMP-RULES §2 rules 1–2, which no mode overrides.</summary>
    private static AccessDecision? ClosedOrBlocked(string idNatPs, RecordDirectives record, DateTimeOffset now)
    {
        if (record.IsClosed)
        {
            return AccessDecision.Deny(AccessDenialReason.RecordClosed,
                "This patient's DMP is closed: no professional can read or add to it. Only the patient can reopen it.");
        }

        // PDSm4DMP: a blocked professional is denied in every mode, even emergency, even with a permit.
        if (record.IsBlocked(idNatPs, now))
        {
            return AccessDecision.Deny(AccessDenialReason.ProfessionalBlocked,
                "The patient has blocked your access to their DMP. No mode, emergency included, overrides this; only the patient can lift it.");
        }

        return null;
    }

    /// <summary>DMP-RULES §2 rule 4: an active permit within its period, or being a médecin traitant.</summary>
    private static AccessDecision DecideTreatment(string idNatPs, bool treatingDoctor, RecordDirectives record, DateTimeOffset now)
    {
        if (treatingDoctor)
        {
            return AccessDecision.Allow(AccessMode.TreatingDoctor);
        }

        var permits = record.PermitsFor(idNatPs).ToList();
        if (permits.Any(p => p.IsInForce(now)))
        {
            return AccessDecision.Allow(AccessMode.Permit);
        }

        const string howToGetOne = "With the patient present, declare their agreement (a permit Consent naming you, purpose TREAT), "
            + "or ask the patient to authorise you from Mon espace santé. In an emergency where the patient cannot consent, use bris de glace (purpose BTG).";

        if (permits.Where(p => p.Period.End < now).Select(p => p.Period.End).Max() is { } ended)
        {
            return AccessDecision.Deny(AccessDenialReason.PermitExpired,
                $"Your authorisation on this patient's DMP ended on {Day(ended)}. " + howToGetOne);
        }

        if (permits.Where(p => p.Period.Start > now).Select(p => p.Period.Start).Min() is { } starts)
        {
            return AccessDecision.Deny(AccessDenialReason.PermitNotYetValid,
                $"Your authorisation on this patient's DMP starts on {Day(starts)}. " + howToGetOne);
        }

        return AccessDecision.Deny(AccessDenialReason.NoPermit, "You are not authorised on this patient's DMP. " + howToGetOne);
    }

    /// <summary>A médecin traitant is a médecin (CSS L162-5-3): the status is ignored for any other profession.</summary>
    private static bool IsTreatingDoctor(Requester requester, string idNatPs, RecordDirectives record) =>
        requester.Profession == DmpCodes.Doctor && record.IsTreatingDoctor(idNatPs);

    /// <summary>After an opposed emergency access: whether normal access would work, so the professional knows what to do.</summary>
    private static string NormalModeHint(RecordDirectives record, string idNatPs, bool treatingDoctor, DateTimeOffset now) =>
        treatingDoctor || record.PermitsFor(idNatPs).Any(p => p.IsInForce(now))
            ? "You are authorised on this record in normal mode: sign in again with purpose of use TREAT."
            : "Normal access (purpose TREAT) needs the patient's authorisation.";

    private static AccessDecision NotOwnRecord() =>
        AccessDecision.Deny(AccessDenialReason.NotOwnRecord, "This DMP is not yours: a patient can only access their own record.");

    private static string Day(DateTimeOffset instant) => instant.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
