namespace DmpApi.Fhir;

/// <summary>The FHIR RESTful interactions (FHIR R4 §3.1.0, http://hl7.org/fhir/restful-interaction) this server answers.</summary>
public enum FhirInteraction { Read, VRead, History, Search, Create, Update, Patch, Delete, Transaction, Operation, Capabilities }

/// <summary>
/// Endpoint metadata: the resource type and the full interaction an endpoint performs. The audit trail, the OpenAPI
/// document and the scope check read it; nothing parses route text to find out what an endpoint is.
/// </summary>
public sealed record FhirOperation(string ResourceType, FhirInteraction Interaction)
{
    /// <summary>The restful-interaction code (history is always an instance's here).</summary>
    public string Code => Interaction switch
    {
        FhirInteraction.VRead => "vread",
        FhirInteraction.History => "history-instance",
        FhirInteraction.Search => "search-type",
        _ => Interaction.ToString().ToLowerInvariant(),
    };
}

public static class FhirOperationMetadata
{
    /// <summary>Declares what the endpoint is (<see cref="FhirOperation"/>).</summary>
    public static TBuilder WithFhirOperation<TBuilder>(this TBuilder builder, string resourceType, FhirInteraction interaction)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new FhirOperation(resourceType, interaction));

    public static FhirOperation? FhirOperation(this Endpoint? endpoint) => endpoint?.Metadata.GetMetadata<FhirOperation>();
}
