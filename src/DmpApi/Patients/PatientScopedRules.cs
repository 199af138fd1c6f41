using DmpApi.Storage;
using Hl7.Fhir.Model;

namespace DmpApi.Patients;

/// <summary>AllergyIntolerance.patient: an allergy belongs to one record.</summary>
internal sealed class AllergyIntoleranceRules : IResourceRules
{
    public string ResourceType => "AllergyIntolerance";

    public Task<string> PrepareAsync(Resource resource, PendingWrite write, CancellationToken cancellationToken)
    {
        var allergy = (AllergyIntolerance)resource;
        if (write.Previous is null && allergy.Recorder is null && write.Scope.Writer.IdNatPs is not null)
        {
            // As a document's author (DMP-RULES §3): the recorder is the professional of the token; the store keeps it in a row column.
            allergy.Recorder = Recorders.Of(write.Scope.Writer);
        }

        return PatientReferences.ResolveAsync(write.Db, allergy.Patient, "AllergyIntolerance.patient", cancellationToken);
    }
}

/// <summary>Consent.patient: a consent decision belongs to one record (IHE PCF).</summary>
internal sealed class ConsentRules : IResourceRules
{
    public string ResourceType => "Consent";

    public Task<string> PrepareAsync(Resource resource, PendingWrite write, CancellationToken cancellationToken) =>
        PatientReferences.ResolveAsync(write.Db, ((Consent)resource).Patient, "Consent.patient", cancellationToken);
}
