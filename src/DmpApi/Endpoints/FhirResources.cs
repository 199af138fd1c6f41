namespace DmpApi.Endpoints;

/// <summary>The resource types served with the full set of interactions; adding one is one line here plus its rules.</summary>
public static class FhirResources
{
    public static readonly IReadOnlyList<string> Types = ["Patient", "DocumentReference", "AllergyIntolerance", "Consent"];
}
