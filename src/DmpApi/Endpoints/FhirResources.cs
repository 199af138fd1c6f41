using DmpApi.Documents;
using DmpApi.Lifecycle;
using DmpApi.Patients;
using DmpApi.Storage;

namespace DmpApi.Endpoints;

/// <summary>
/// A resource type served with the full set of interactions (read, vread, history, search, create, update, delete),
/// described once: its rules at write time, and the endpoints of its own beyond the standard ones. Its search
/// parameters are the SDK's for the type (<see cref="Search.SearchParameterRegistry"/>).
/// </summary>
public sealed record FhirResource(string Type, Type Rules, Action<RouteGroupBuilder>? MapOwnEndpoints = null)
{
    public static FhirResource Of<TRules>(string type, Action<RouteGroupBuilder>? mapOwnEndpoints = null)
        where TRules : IResourceRules => new(type, typeof(TRules), mapOwnEndpoints);
}

/// <summary>The resource types served with the full set of interactions: adding one is one line here (docs/ARCHITECTURE.md).</summary>
public static class FhirResources
{
    public static readonly IReadOnlyList<FhirResource> All =
    [
        FhirResource.Of<PatientRules>("Patient", patients => patients.MapPatientEverything().MapPatientPatch()),
        FhirResource.Of<DocumentReferenceRules>("DocumentReference", documents => documents.MapDocumentPatchEndpoints()),
        FhirResource.Of<AllergyIntoleranceRules>("AllergyIntolerance"),
        FhirResource.Of<ConsentRules>("Consent"),
        FhirResource.Of<RelatedPersonRules>("RelatedPerson"),
        FhirResource.Of<ListRules>("List"),
        FhirResource.Of<ConditionRules>("Condition"),
        FhirResource.Of<MedicationStatementRules>("MedicationStatement"),
        FhirResource.Of<ImmunizationRules>("Immunization"),
        FhirResource.Of<ObservationRules>("Observation"),
    ];

    public static readonly IReadOnlyList<string> Types = [.. All.Select(r => r.Type)];
}
