using DmpApi.Auth;
using DmpApi.Fhir;
using Microsoft.AspNetCore.Mvc.ApiExplorer;

namespace DmpApi.OpenApi;

/// <summary>The FHIR RESTful interactions as they appear in the document (FHIR R4 §3.1.0): a search by POST and Binary content read apart.</summary>
internal enum FhirRouteKind { Capabilities, Search, SearchByPost, Create, Read, VRead, History, Update, Patch, Delete, Transaction, BinaryRead, Other }

/// <summary>What one /fhir endpoint does, from its <see cref="FhirOperation"/>, and the scope it needs (its <see cref="SmartScope"/>).</summary>
internal sealed record FhirRoute(string ResourceType, FhirRouteKind Kind, SmartScope? Scope)
{
    /// <summary>Traces and notifications are never deleted (DMP-RULES §4): their reads cannot answer 410.</summary>
    public bool IsAppendOnly => ResourceType is "AuditEvent" or "Communication";

    /// <summary>Null for endpoints that declare no FHIR operation (e.g. /healthz).</summary>
    public static FhirRoute? Describe(ApiDescription api)
    {
        var metadata = api.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<FhirOperation>().LastOrDefault() is not { } operation)
        {
            return null;
        }

        var kind = operation.Interaction switch
        {
            FhirInteraction.Capabilities => FhirRouteKind.Capabilities,
            FhirInteraction.Search when HttpMethods.IsPost(api.HttpMethod ?? string.Empty) => FhirRouteKind.SearchByPost,
            FhirInteraction.Search => FhirRouteKind.Search,
            FhirInteraction.Create => FhirRouteKind.Create,
            FhirInteraction.Read when operation.ResourceType == "Binary" => FhirRouteKind.BinaryRead,
            FhirInteraction.Read => FhirRouteKind.Read,
            FhirInteraction.VRead => FhirRouteKind.VRead,
            FhirInteraction.History => FhirRouteKind.History,
            FhirInteraction.Update => FhirRouteKind.Update,
            FhirInteraction.Patch => FhirRouteKind.Patch,
            FhirInteraction.Delete => FhirRouteKind.Delete,
            FhirInteraction.Transaction => FhirRouteKind.Transaction,
            _ => FhirRouteKind.Other,
        };
        return new FhirRoute(operation.ResourceType, kind, metadata.OfType<SmartScope>().LastOrDefault());
    }
}
