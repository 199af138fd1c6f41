using DmpApi.Storage;
using Hl7.Fhir.Model;

namespace DmpApi.Patients;

/// <summary>
/// Who recorded something, as a FHIR reference (DMP-RULES §3: the author comes from the token): a professional by
/// idNatPs, a system (the Assurance Maladie feed, issue 15) as an organisation named by its OAuth client id.
/// </summary>
public static class Recorders
{
    /// <summary>The identifier system of a system requester's client id (SMART Backend Services).</summary>
    public const string SystemClientIdSystem = "urn:ietf:params:oauth:client-id";

    /// <summary>The writer as a reference; null for the patient (who records in their own name, nothing to add).</summary>
    public static ResourceReference? Of(Writer writer) => writer switch
    {
        { IdNatPs: { } idNatPs } => new ResourceReference { Type = "Practitioner", Identifier = new Identifier(Auth.Requester.IdNatPsSystem, idNatPs), Display = writer.Name },
        { SystemClientId: { } client } => new ResourceReference { Type = "Organization", Identifier = new Identifier(SystemClientIdSystem, client), Display = writer.Name },
        _ => null,
    };

    /// <summary>Whether a reference names this writer (by the identifier <see cref="Of"/> gives it).</summary>
    public static bool Names(ResourceReference? reference, Writer writer) =>
        Of(writer)?.Identifier is { } id && reference?.Identifier is { } given && given.System == id.System && given.Value == id.Value;
}

/// <summary>
/// A health profile entry (issue 15): it belongs to one record, and a creation names its recorder from the token when
/// the body does not. Who may record, change or hide it is decided in Access (<c>HealthProfile</c>).
/// </summary>
internal abstract class HealthProfileEntryRules<T> : IResourceRules where T : Resource
{
    public string ResourceType => ModelInfo.GetFhirTypeNameForType(typeof(T))!;

    public Task<string> PrepareAsync(Resource resource, PendingWrite write, CancellationToken cancellationToken)
    {
        var entry = (T)resource;
        if (write.Previous is null && Recorders.Of(write.Scope.Writer) is { } recorder)
        {
            Record(entry, recorder);
        }

        var (reference, path) = PatientOf(entry);
        return PatientReferences.ResolveAsync(write, reference, path, cancellationToken);
    }

    protected abstract (ResourceReference? Reference, string Path) PatientOf(T entry);

    /// <summary>Puts the recorder where the type keeps it, unless the body already names one there.</summary>
    protected abstract void Record(T entry, ResourceReference recorder);
}

/// <summary>Condition: an antécédent; the recorder in <c>recorder</c> (a professional: R4 allows no organisation there).</summary>
internal sealed class ConditionRules : HealthProfileEntryRules<Condition>
{
    protected override (ResourceReference?, string) PatientOf(Condition entry) => (entry.Subject, "Condition.subject");

    protected override void Record(Condition entry, ResourceReference recorder)
    {
        if (entry.Recorder is null && recorder.Type == "Practitioner")
        {
            entry.Recorder = recorder;
        }
    }
}

/// <summary>MedicationStatement: a current treatment; the recorder as <c>informationSource</c>.</summary>
internal sealed class MedicationStatementRules : HealthProfileEntryRules<MedicationStatement>
{
    protected override (ResourceReference?, string) PatientOf(MedicationStatement entry) => (entry.Subject, "MedicationStatement.subject");

    protected override void Record(MedicationStatement entry, ResourceReference recorder) => entry.InformationSource ??= recorder;
}

/// <summary>Immunization: a vaccination; a professional recording it is taken as its administering performer unless one is given.</summary>
internal sealed class ImmunizationRules : HealthProfileEntryRules<Immunization>
{
    protected override (ResourceReference?, string) PatientOf(Immunization entry) => (entry.Patient, "Immunization.patient");

    protected override void Record(Immunization entry, ResourceReference recorder)
    {
        if (entry.Performer.Count == 0)
        {
            entry.Performer.Add(new Immunization.PerformerComponent { Actor = recorder });
        }
    }
}

/// <summary>Observation: a measurement (weight, height, blood pressure…, ANS "mesures de santé"); the recorder as a performer.</summary>
internal sealed class ObservationRules : HealthProfileEntryRules<Observation>
{
    protected override (ResourceReference?, string) PatientOf(Observation entry) => (entry.Subject, "Observation.subject");

    protected override void Record(Observation entry, ResourceReference recorder)
    {
        if (entry.Performer.Count == 0)
        {
            entry.Performer.Add(recorder);
        }
    }
}
