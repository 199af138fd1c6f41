using System.Globalization;
using DmpApi.Auth;
using DmpApi.Patients;

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
            // DMP-RULES §2 rules 1 and 8: the patient reads their own record, even closed (they may reopen it); a minor's
            // record is their representatives' until the day they come of age (issue 14).
            return !record.BelongsTo(requester.Ins) ? NotOwnRecord()
                : record.IsMinorAt(now) ? AccessDecision.Deny(AccessDenialReason.HolderIsMinor,
                    $"Your DMP is managed by your legal representatives until you come of age on {record.MajorityDay:yyyy-MM-dd}.")
                : AccessDecision.Allow(AccessMode.Patient);
        }

        if (requester.Kind == RequesterKind.Representative)
        {
            return DecideRepresentative(requester, record, now);
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
    /// <param name="changesClosure">
    /// The write changes a closed record's state, which a closed record accepts: the holder's reopening (DMP-RULES §3), or a
    /// death feed recording the holder's death (issue 14).
    /// </param>
    public static AccessDecision DecideWrite(Requester requester, RecordDirectives record, bool authoredEarlierDocument, DateTimeOffset now, bool changesClosure = false)
    {
        ArgumentNullException.ThrowIfNull(requester);
        ArgumentNullException.ThrowIfNull(record);

        if (requester.ActsForHolder)
        {
            var holder = Decide(requester, record, now);
            if (!holder.IsAllowed)
            {
                return holder;
            }

            // A closed record is not fed (DMP-RULES §2 rule 1); the patient (or the minor's representative) reopens it first.
            return record.IsClosed && !changesClosure
                ? AccessDecision.Deny(AccessDenialReason.RecordClosed, "This DMP is closed: reopen it (Patient.active = true) before adding to it.")
                : holder;
        }

        if (requester.Kind == RequesterKind.System)
        {
            // Issue 15: the Assurance Maladie feeds every open record with the care history it reimbursed; a closed one takes nothing.
            return record.IsClosed && !changesClosure
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

    /// <summary>
    /// A legal representative (issue 14): named by an active RelatedPerson of the record, while its holder is a minor, and
    /// unless the record was opened in secret mode. Then they read it as the patient does, closed or not.
    /// </summary>
    private static AccessDecision DecideRepresentative(Requester requester, RecordDirectives record, DateTimeOffset now)
    {
        if (!record.BelongsTo(requester.RepresentedIns) || !record.IsRepresentedBy(requester.Ins))
        {
            return AccessDecision.Deny(AccessDenialReason.NotRepresentative,
                "You are not a legal representative of this DMP's holder: the record's managers add you with a RelatedPerson naming your INS.");
        }

        if (!record.IsMinorAt(now))
        {
            return AccessDecision.Deny(AccessDenialReason.HolderOfAge,
                record.MajorityDay is { } day
                    ? $"The holder of this DMP came of age on {day:yyyy-MM-dd}: only they access it now."
                    : "The holder of this DMP has no birth date showing they are a minor: only they access it.");
        }

        return record.MinorAccessMode == MinorRecord.Secret
            ? AccessDecision.Deny(AccessDenialReason.MinorRecordSecret,
                "This minor's DMP was opened in secret mode: their legal representatives have no access to it.")
            : AccessDecision.Allow(AccessMode.Representative);
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
