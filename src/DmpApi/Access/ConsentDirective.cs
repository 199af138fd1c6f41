namespace DmpApi.Access;

/// <summary>The kinds of access decisions a patient records as Consents (DMP-RULES §5).</summary>
public enum ConsentDirectiveKind
{
    /// <summary>The patient authorises a professional, or the professional declared the patient's agreement (CSP R1111-46).</summary>
    Permit,

    /// <summary>The patient blocks a professional, in every mode, even emergency (PDSm4DMP).</summary>
    Block,

    /// <summary>The patient opposes bris de glace access (CSP L1111-17 I).</summary>
    BreakTheGlassOpposition,

    /// <summary>The patient opposes access by the centre 15 regulating doctor (CSP L1111-17 I).</summary>
    RegulationOpposition,

    /// <summary>A permit with purpose BTG: the professional may break the glass even where the patient opposed it, and only then.</summary>
    BreakTheGlassPermit,

    /// <summary>A permit with purpose ETREAT: the regulating doctor may access even where the patient opposed regulation, and only then.</summary>
    RegulationPermit,
}

/// <summary>One access decision of the patient, read from an active Consent (DMP-RULES §5); IdNatPs names the professional of a Permit or a Block.</summary>
public sealed record ConsentDirective(ConsentDirectiveKind Kind, string? IdNatPs, DirectivePeriod Period, string? ConsentId)
{
    /// <summary>A directive counts only within its provision.period, when it has one.</summary>
    public bool IsInForce(DateTimeOffset now) => Period.Covers(now);
}

/// <summary>The provision.period of a directive as UTC instants, each bound inclusive and optional (a FHIR date covers its whole day).</summary>
public sealed record DirectivePeriod(DateTimeOffset? Start, DateTimeOffset? End)
{
    public static readonly DirectivePeriod Always = new(null, null);

    public bool Covers(DateTimeOffset now) => (Start is null || now >= Start) && (End is null || now <= End);
}

/// <summary>A Patient element or a Consent the access rules did not apply, and why: kept for the operator and the traces, never an error.</summary>
public sealed record IgnoredDirective(string Source, string Reason);
