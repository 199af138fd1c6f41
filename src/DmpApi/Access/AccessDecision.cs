using System.Diagnostics.CodeAnalysis;

namespace DmpApi.Access;

/// <summary>Why a requester may access a record (DMP-RULES §2 rules 1–4 and §3); the traces record it.</summary>
public enum AccessMode
{
    /// <summary>The patient, in their own record (DMP-RULES §2 rule 8).</summary>
    Patient,

    /// <summary>The author of an earlier document keeps feeding the record without a permit (CSP R1111-47); write only.</summary>
    Author,

    /// <summary>A system feeding the record (the Assurance Maladie's care history, issue 15); write only.</summary>
    System,

    /// <summary>One of the patient's médecins traitants (DMP-RULES §2 rule 4).</summary>
    TreatingDoctor,

    /// <summary>A professional the patient authorised (CSP R1111-46).</summary>
    Permit,

    /// <summary>Bris de glace: emergency access; the patient and the médecins traitants are notified (CSP L1111-17 I, R1111-48).</summary>
    BreakTheGlass,

    /// <summary>The SAMU centre 15 regulating doctor (CSP L1111-17 I); notified like bris de glace (R1111-48).</summary>
    Regulation,
}

/// <summary>Why access to a record was refused (DMP-RULES §2 rules 1–4); <see cref="AccessDenial.Code"/> is the stable form.</summary>
public enum AccessDenialReason
{
    /// <summary>Issue 15: a system requester writes and never reads.</summary>
    SystemReadsNothing,

    /// <summary>Rule 1: Patient.active = false; only the patient reads and reopens it (CSP L1111-18).</summary>
    RecordClosed,

    /// <summary>Rule 2: the patient blocked this professional, in every mode (PDSm4DMP).</summary>
    ProfessionalBlocked,

    /// <summary>Rule 3: the patient opposed bris de glace (CSP L1111-17 I).</summary>
    BreakTheGlassOpposed,

    /// <summary>Rule 3: the patient opposed access by the centre 15 regulating doctor (CSP L1111-17 I).</summary>
    RegulationOpposed,

    /// <summary>Rule 3: regulation access (ETREAT) is the regulating doctor's, a médecin (CSP L1111-17 I).</summary>
    RegulationNeedsDoctor,

    /// <summary>Rule 3: regulation access (ETREAT) needs the identity provider's medical regulation attribute.</summary>
    RegulationNeedsAttribute,

    /// <summary>Rule 3: a bris de glace states its justification, which the trace keeps.</summary>
    BreakTheGlassNeedsJustification,

    /// <summary>Rule 4: no permit and not a médecin traitant (CSP R1111-46).</summary>
    NoPermit,

    /// <summary>Rule 4: the professional's permits all ended before now.</summary>
    PermitExpired,

    /// <summary>Rule 4: the professional's permits all start after now.</summary>
    PermitNotYetValid,

    /// <summary>Rule 8: a patient accesses only their own record.</summary>
    NotOwnRecord,

    /// <summary>The purpose of use is none of TREAT, BTG, ETREAT (DMP-RULES §1); authentication normally refuses it first.</summary>
    UnknownPurposeOfUse,

    /// <summary>A professional token without idNatPs (DESIGN §3); authentication normally refuses it first.</summary>
    NoProfessionalIdentity,
}

/// <summary>A refusal: a stable code for clients and traces, and a message that tells the professional what they can do (DMP-RULES §2).</summary>
public sealed record AccessDenial(AccessDenialReason Reason, string Message)
{
    /// <summary>Stable across releases: clients and OperationOutcome.issue.details use it; the message may be reworded.</summary>
    public string Code => Reason switch
    {
        AccessDenialReason.RecordClosed => "record-closed",
        AccessDenialReason.ProfessionalBlocked => "professional-blocked",
        AccessDenialReason.BreakTheGlassOpposed => "break-the-glass-opposed",
        AccessDenialReason.RegulationOpposed => "regulation-opposed",
        AccessDenialReason.RegulationNeedsDoctor => "regulation-needs-doctor",
        AccessDenialReason.RegulationNeedsAttribute => "regulation-needs-attribute",
        AccessDenialReason.BreakTheGlassNeedsJustification => "break-the-glass-needs-justification",
        AccessDenialReason.NoPermit => "no-permit",
        AccessDenialReason.PermitExpired => "permit-expired",
        AccessDenialReason.PermitNotYetValid => "permit-not-yet-valid",
        AccessDenialReason.NotOwnRecord => "not-own-record",
        AccessDenialReason.UnknownPurposeOfUse => "unknown-purpose-of-use",
        AccessDenialReason.NoProfessionalIdentity => "no-professional-identity",
        AccessDenialReason.SystemReadsNothing => "system-reads-nothing",
        _ => throw new ArgumentOutOfRangeException(nameof(Reason), Reason, null),
    };
}

/// <summary>
/// The record-level answer of <see cref="RecordAccessRules"/>: allowed with its <see cref="Mode"/>, or denied with an
/// <see cref="AccessDenial"/> (403 with an OperationOutcome, DMP-RULES §2).
/// </summary>
public sealed record AccessDecision
{
    private AccessDecision(AccessMode? mode, bool isTreatingDoctor, AccessDenial? denial)
    {
        Mode = mode;
        IsTreatingDoctor = isTreatingDoctor;
        Denial = denial;
        IsAllowed = mode is not null;
    }

    [MemberNotNullWhen(true, nameof(Mode))]
    [MemberNotNullWhen(false, nameof(Denial))]
    public bool IsAllowed { get; }

    public AccessMode? Mode { get; }

    /// <summary>The requester is one of the record's médecins traitants, whatever the mode: they see masked documents (CSP L1111-16).</summary>
    public bool IsTreatingDoctor { get; }

    public AccessDenial? Denial { get; }

    /// <summary>Bris de glace or regulation: the patient and the médecins traitants are notified (CSP R1111-48).</summary>
    public bool IsEmergency => Mode is AccessMode.BreakTheGlass or AccessMode.Regulation;

    public static AccessDecision Allow(AccessMode mode, bool isTreatingDoctor = false) =>
        new(mode, isTreatingDoctor || mode == AccessMode.TreatingDoctor, null);

    public static AccessDecision Deny(AccessDenialReason reason, string message) => new(null, false, new AccessDenial(reason, message));

    public override string ToString() => IsAllowed ? $"Allowed ({Mode})" : $"Denied ({Denial.Code}): {Denial.Message}";
}
