using DmpApi.Storage;
using Hl7.Fhir.Model;

namespace DmpApi.Patients;

/// <summary>AllergyIntolerance.patient: an allergy belongs to one record.</summary>
internal sealed class AllergyIntoleranceRules : IResourceRules
{
    public string ResourceType => "AllergyIntolerance";

    public Task<string> PrepareAsync(Resource resource, PendingWrite write, CancellationToken cancellationToken) =>
        PatientReferences.ResolveAsync(write.Db, ((AllergyIntolerance)resource).Patient, "AllergyIntolerance.patient", cancellationToken);
}

/// <summary>Consent.patient: a consent decision belongs to one record (IHE PCF).</summary>
internal sealed class ConsentRules : IResourceRules
{
    public string ResourceType => "Consent";

    public Task<string> PrepareAsync(Resource resource, PendingWrite write, CancellationToken cancellationToken) =>
        PatientReferences.ResolveAsync(write.Db, ((Consent)resource).Patient, "Consent.patient", cancellationToken);
}
