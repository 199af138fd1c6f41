namespace DmpApi.Access;

/// <summary>The code systems and codes the access rules read (DMP-RULES §1 and §5).</summary>
public static class DmpCodes
{
    /// <summary>Professional national identifier (idNatPs), taken as given from the token.</summary>
    public const string IdNatPsSystem = Auth.Requester.IdNatPsSystem;

    /// <summary>PDSm's archive flag on a DocumentReference (extension PDSm_isArchived), one of the elements that may change after a deposit.</summary>
    public const string IsArchivedExtension = "http://esante.gouv.fr/cisis/fhir/StructureDefinition/PDSm_isArchived";

    public const string LoincSystem = "http://loinc.org";
    public const string TreA05System = "https://mos.esante.gouv.fr/NOS/TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire";
    public const string TreA07System = "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument";
    public const string ActReasonSystem = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
    public const string ParticipationTypeSystem = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
    public const string ConsentScopeSystem = "http://terminology.hl7.org/CodeSystem/consentscope";

    /// <summary>Purpose of use of normal care.</summary>
    public const string Treatment = "TREAT";
    /// <summary>Purpose of use of bris de glace: emergency access by any professional (CSP L1111-17 I).</summary>
    public const string BreakTheGlass = "BTG";
    /// <summary>Purpose of use of the SAMU centre 15 regulating doctor (CSP L1111-17 I).</summary>
    public const string Regulation = "ETREAT";

    /// <summary>The actor role of a permit Consent: information recipient (IHE PCF).</summary>
    public const string InformationRecipient = "IRCP";
    public const string PatientPrivacyScope = "patient-privacy";

    /// <summary>TRE_G15 code of the médecin.</summary>
    public const string Doctor = "10";

    /// <summary>TRE_A07 MASQUE_PS: masked by the patient, hidden from professionals (CSP L1111-16).</summary>
    public static readonly QualifiedCode Masked = new(TreA07System, "MASQUE_PS");

    /// <summary>TRE_A07 INVISIBLE_PATIENT: hidden from the patient pending an announcement consultation (CSP R1111-53).</summary>
    public static readonly QualifiedCode InvisibleToPatient = new(TreA07System, "INVISIBLE_PATIENT");

    /// <summary>TRE_A07 INVISIBLE_REPRESENTANTS_LEGAUX: hidden from a minor's legal representatives (CSP L1111-5, issue 14).</summary>
    public static readonly QualifiedCode InvisibleToRepresentatives = new(TreA07System, "INVISIBLE_REPRESENTANTS_LEGAUX");
}

/// <summary>A code qualified by its system, written as FHIR token search writes it (system|code): document types, labels.</summary>
public readonly record struct QualifiedCode(string System, string Code)
{
    public override string ToString() => $"{System}|{Code}";

    /// <summary>The codes of a CodeableConcept that have both a system and a code; the others qualify nothing.</summary>
    public static IEnumerable<QualifiedCode> From(Hl7.Fhir.Model.CodeableConcept? concept) =>
        from coding in concept?.Coding ?? []
        where coding is not null && !string.IsNullOrWhiteSpace(coding.System) && !string.IsNullOrWhiteSpace(coding.Code)
        select new QualifiedCode(coding.System!.Trim(), coding.Code!.Trim());
}
