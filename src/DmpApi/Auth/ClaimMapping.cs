namespace DmpApi.Auth;

/// <summary>
/// Where each field of the <see cref="Requester"/> is read in one identity provider's claims: configuration, not code
/// (Auth:ClaimMappings:&lt;provider&gt;). Each value is a claim path (<see cref="ClaimPath"/>), looked up in the access
/// token first, then in the userinfo answer when <see cref="UseUserInfo"/> is on.
/// </summary>
public sealed class ClaimMapping
{
    /// <summary>Fetch the provider's userinfo endpoint (from its discovery document) with the access token; cached per token.</summary>
    public bool UseUserInfo { get; set; }

    /// <summary>The professional's national identifier (idNatPs).</summary>
    public string? IdNatPs { get; set; }

    /// <summary>The TRE_G15 profession code; with several values (several practices) the first known code is taken.</summary>
    public string? Profession { get; set; }

    /// <summary>The patient's INS (patient mapping only).</summary>
    public string? Ins { get; set; }

    /// <summary>Paths separated by spaces whose values, joined with a space, make the display name (e.g. "given_name family_name").</summary>
    public string? Name { get; set; }

    /// <summary>The medical regulation attribute (centre 15): ETREAT is granted only when it holds one of <see cref="RegulationGrantedValues"/>.</summary>
    public string? Regulation { get; set; }

    /// <summary>Comma-separated values of <see cref="Regulation"/> that grant it (compared case-insensitively).</summary>
    public string? RegulationGrantedValues { get; set; }

    /// <summary>The access mode (purpose of use) the software declares for this session.</summary>
    public string? PurposeOfUse { get; set; }

    /// <summary>Provider codes of the access mode to this server's TREAT, BTG, ETREAT (case-insensitive); unlisted codes are taken as they are.</summary>
    public Dictionary<string, string> PurposeOfUseCodes { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The justification of a bris de glace (required for BTG).</summary>
    public string? PurposeOfUseReason { get; set; }

    /// <summary>A professional's request that the trace of their access be kept from a minor's representatives (value INVISIBLE_REPRESENTANTS_LEGAUX).</summary>
    public string? TraceRestriction { get; set; }

    /// <summary>A legal representative's token: the INS of the minor they act for (issue 14).</summary>
    public string? RepresentativeOf { get; set; }

    /// <summary>A legal representative's own identifier (their INS-NIR), which the record's RelatedPerson names.</summary>
    public string? RepresentativeId { get; set; }

    public string Scope { get; set; } = "scope";

    /// <summary>The OAuth client of a client-credentials token (SMART Backend Services): a system requester when listed in <see cref="Systems"/>.</summary>
    public string? ClientId { get; set; }

    /// <summary>The systems accepted, by client id, with the name their writes and traces carry (issue 15: the Assurance Maladie feed).</summary>
    public Dictionary<string, string> Systems { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The systems among <see cref="Systems"/> granted the death-record right (issue 14: the INSi/état-civil death feed):
    /// they close a record on a recorded death, and change nothing else of a Patient. A list beside <see cref="Systems"/>
    /// so that existing `Systems:&lt;client id&gt; = name` entries keep binding.
    /// </summary>
    public HashSet<string> RecordsDeaths { get; set; } = new(StringComparer.Ordinal);

    public string Subject { get; set; } = "sub";

    /// <summary>The claim names of this server's own tokens (the `token` command, tests, the benchmark).</summary>
    public static ClaimMapping Development() => new()
    {
        IdNatPs = "idnps",
        Profession = "profession",
        Ins = "ins",
        Name = "name",
        Regulation = "regulation",
        RegulationGrantedValues = "true",
        PurposeOfUse = "purpose_of_use",
        PurposeOfUseReason = "purpose_of_use_reason",
        RepresentativeOf = "representative_of",
        RepresentativeId = "representative_id",
        TraceRestriction = "trace_restriction",
        ClientId = "client_id",
        Systems = new(StringComparer.Ordinal) { [AssuranceMaladieClient] = "Assurance Maladie", [DeathFeedClient] = "INSi (décès)" },
        RecordsDeaths = new(StringComparer.Ordinal) { DeathFeedClient },
    };

    /// <summary>The client id of the death feed (INSi / état civil) in development tokens: the one system that records deaths.</summary>
    public const string DeathFeedClient = "insi-deces";

    /// <summary>The client id of the Assurance Maladie's care-history feed in development tokens.</summary>
    public const string AssuranceMaladieClient = "assurance-maladie";

    /// <summary>
    /// Pro Santé Connect's claims (docs/PRO-SANTE-CONNECT.md): idNatPs in preferred_username (also SubjectNameID),
    /// practices in SubjectRefPro.exercices, the regulation attribute Acces_Regulation_Medicale, the access mode's
    /// reason Mode_Acces_Raison; the access mode's codes from TRE_R248_ModeAcces (normal, bris_de_glace, centre_15).
    /// </summary>
    public static ClaimMapping ProSanteConnect() => new()
    {
        UseUserInfo = true,
        IdNatPs = "preferred_username",
        Profession = "SubjectRefPro.exercices[*].codeProfession",
        Name = "given_name family_name",
        Regulation = "Acces_Regulation_Medicale",
        RegulationGrantedValues = "VRAI",
        PurposeOfUse = "purpose_of_use",
        PurposeOfUseCodes = new(StringComparer.OrdinalIgnoreCase)
        {
            ["normal"] = Requester.TreatmentPurpose,
            ["bris_de_glace"] = "BTG",
            ["centre_15"] = "ETREAT",
        },
        PurposeOfUseReason = "Mode_Acces_Raison",
    };

    /// <summary>A patient identity provider: the INS in `ins`, the name in `name`.</summary>
    public static ClaimMapping Patient() => new() { Ins = "ins", Name = "name", RepresentativeOf = "representative_of", RepresentativeId = "representative_id" };
}

/// <summary>Auth:ClaimMappings: one mapping per identity provider; configuration values override the defaults field by field.</summary>
public sealed class ClaimMappings
{
    public ClaimMapping ProSanteConnect { get; set; } = ClaimMapping.ProSanteConnect();
    public ClaimMapping Patient { get; set; } = ClaimMapping.Patient();
    public ClaimMapping Development { get; set; } = ClaimMapping.Development();
}
