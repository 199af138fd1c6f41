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
        if (!patient.Extension.Any(e => e.Url?.EndsWith(MotifName, StringComparison.Ordinal) == true))
        {
            patient.Extension.Add(new Extension(baseUrl + MotifName, new Coding(MotifSystem, ClosedAtHoldersRequest, "Fermeture à la demande du patient")));
        }
    }

    /// <summary>The closure's date as the server recorded it; null when the Patient carries none (open, or closed before dates were kept).</summary>
    public static DateTimeOffset? ClosedOn(Patient patient) =>
        patient.Extension.FirstOrDefault(e => e.Url?.EndsWith(ClosedOnName, StringComparison.Ordinal) == true)?.Value is FhirDateTime { Value: { } text }
            && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var closedOn)
            ? closedOn
            : null;
}
