using Hl7.Fhir.Model;

namespace DmpApi.Patients;

/// <summary>
/// The closure of a record (DMP-RULES §3): its date, set by the server, and its motif, given by the patient, as
/// extensions of Patient under this server's base (`{base}/StructureDefinition/…`).
/// </summary>
public static class RecordClosure
{
    public const string ClosedOnName = "/StructureDefinition/dmp-record-closed-on";
    public const string ReasonName = "/StructureDefinition/dmp-record-closure-reason";
    public const string MotifName = "/StructureDefinition/dmp-record-closure-motif";

    /// <summary>
    /// The DMP's code system of closure motives (OID 1.2.250.1.213.4.1.2.4), as the DMP's record-management interface
    /// (HL7v3 closure message, reasonOf/detectedIssueEvent/code) carries it, e.g. FERMETURE_DEMANDE_PATIENT.
    /// </summary>
    public const string MotifSystem = "urn:oid:1.2.250.1.213.4.1.2.4";

    /// <summary>Closure at the holder's request: what the server records when the holder gives no motif.</summary>
    public const string ClosedAtHoldersRequest = "FERMETURE_DEMANDE_PATIENT";

    /// <summary>
    /// The closure motives this server defines itself (`{base}/CodeSystem/dmp-closure-motif`): no public ANS source gives
    /// the death motif's code in <see cref="MotifSystem"/>, so none is invented in that OID (docs/ACCESS-RULES.md §1c).
    /// </summary>
    public const string OwnMotifSystemName = "/CodeSystem/dmp-closure-motif";

    /// <summary>Closure on the holder's recorded death, which only a system with the death-record right sends.</summary>
    public const string ClosedOnDeath = "DECES";

    public static string ClosedOnUrl(string baseUrl) => baseUrl + ClosedOnName;

    public static string ReasonUrl(string baseUrl) => baseUrl + ReasonName;

    /// <summary>Either closure extension, whatever base URL the client wrote it under.</summary>
    public static bool IsClosure(Extension extension) =>
        extension.Url is { } url && (url.EndsWith(ClosedOnName, StringComparison.Ordinal) || url.EndsWith(ReasonName, StringComparison.Ordinal)
            || url.EndsWith(MotifName, StringComparison.Ordinal));

    /// <summary>
    /// Closing records its date (the server's instant of the closing version) beside the motif the patient gave; the
    /// date stays while the record stays closed; reopening clears both (the closure stays in the Patient's history).
    /// </summary>
    public static void Apply(Patient patient, Patient? previous, string baseUrl)
    {
        var closedOn = ClosedOnUrl(baseUrl);
        if (patient.Active != false)
        {
            patient.Extension.RemoveAll(IsClosure);
            return;
        }

        var since = previous is { Active: false } ? previous.Extension.FirstOrDefault(e => e.Url?.EndsWith(ClosedOnName, StringComparison.Ordinal) == true)?.Value : null;
        patient.Extension.RemoveAll(e => e.Url?.EndsWith(ClosedOnName, StringComparison.Ordinal) == true);
        patient.Extension.Add(new Extension(closedOn, since ?? new FhirDateTime(patient.Meta?.LastUpdated ?? DateTimeOffset.UtcNow)));
        if (IsClosedOnDeath(patient))
        {
            // A death recorded on a record its holder had closed (issue 14): the death is now the one motif.
            patient.Extension.RemoveAll(e => e.Url?.EndsWith(MotifName, StringComparison.Ordinal) == true && !IsDeathMotif(e));
        }
        else if (!patient.Extension.Any(e => e.Url?.EndsWith(MotifName, StringComparison.Ordinal) == true))
        {
            patient.Extension.Add(new Extension(baseUrl + MotifName, new Coding(MotifSystem, ClosedAtHoldersRequest, "Fermeture à la demande du patient")));
        }
    }

    /// <summary>The Patient carries the death motif (in the server's own closure-motif system, whatever its base URL).</summary>
    public static bool IsClosedOnDeath(Patient patient) => patient.Active == false && patient.Extension.Any(IsDeathMotif);

    private static bool IsDeathMotif(Extension e) => e.Url?.EndsWith(MotifName, StringComparison.Ordinal) == true
        && e.Value is Coding { Code: ClosedOnDeath, System: { } system } && system.EndsWith(OwnMotifSystemName, StringComparison.Ordinal);

    /// <summary>The death motif as the death feed sends it.</summary>
    public static Extension DeathMotif(string baseUrl) =>
        new(baseUrl + MotifName, new Coding(baseUrl + OwnMotifSystemName, ClosedOnDeath, "Fermeture sur décès"));

    /// <summary>The closure's date as the server recorded it; null when the Patient carries none (open, or closed before dates were kept).</summary>
    public static DateTimeOffset? ClosedOn(Patient patient) =>
        patient.Extension.FirstOrDefault(e => e.Url?.EndsWith(ClosedOnName, StringComparison.Ordinal) == true)?.Value is FhirDateTime { Value: { } text }
            && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var closedOn)
            ? closedOn
            : null;
}
