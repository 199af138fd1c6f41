using Hl7.Fhir.Model;

namespace DmpApi.Fhir;

/// <summary>Entries of the CapabilityStatement (FHIR R4 §3.1.0.10) that features build for the types they serve.</summary>
public static class CapabilityResources
{
    /// <summary>A resource the server alone writes (AuditEvent, Communication): read and search-type, not versioned.</summary>
    public static CapabilityStatement.ResourceComponent ReadOnly(string type, string documentation,
        IEnumerable<(string Name, SearchParamType Type, string Description)> parameters)
    {
        var resource = new CapabilityStatement.ResourceComponent
        {
            Type = type,
            Documentation = documentation,
            Versioning = CapabilityStatement.ResourceVersionPolicy.NoVersion,
            ReadHistory = false,
            UpdateCreate = false,
            Interaction =
            [
                new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.Read },
                new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.SearchType },
            ],
        };
        foreach (var (name, paramType, description) in parameters)
        {
            resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = name, Type = paramType, Documentation = description });
        }

        return resource;
    }
}
