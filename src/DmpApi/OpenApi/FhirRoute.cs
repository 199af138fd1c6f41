using DmpApi.Auth;
using Microsoft.AspNetCore.Mvc.ApiExplorer;

namespace DmpApi.OpenApi;

/// <summary>The FHIR RESTful interactions as they appear in the document (FHIR R4 §3.1.0), told apart by method and route.</summary>
internal enum FhirRouteKind { Capabilities, Search, SearchByPost, Create, Read, VRead, History, Update, Patch, Delete, Transaction, BinaryRead, Other }

/// <summary>What one /fhir endpoint does: the type in its route, the interaction, and the scope it needs (its <see cref="FhirOperation"/>).</summary>
internal sealed record FhirRoute(string ResourceType, FhirRouteKind Kind, FhirOperation? Operation)
{
    /// <summary>Traces and notifications are never deleted (DMP-RULES §4): their reads cannot answer 410.</summary>
    public bool IsAppendOnly => ResourceType is "AuditEvent" or "Communication";

    /// <summary>Null for endpoints outside /fhir (e.g. /healthz).</summary>
    public static FhirRoute? Describe(ApiDescription api)
    {
        var segments = (api.RelativePath ?? string.Empty).Split('?')[0].Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments is ["fhir"])
        {
            return new FhirRoute("Bundle", FhirRouteKind.Transaction, api.ActionDescriptor.EndpointMetadata.OfType<FhirOperation>().FirstOrDefault());
        }

        // SMART's configuration sits at the FHIR base but is plain JSON about OAuth, not a FHIR interaction.
        if (segments is not ["fhir", var type, .. var rest] || type == ".well-known")
        {
            return null;
        }

        if (segments is ["fhir", "metadata"])
        {
            return new FhirRoute("CapabilityStatement", FhirRouteKind.Capabilities, null);
        }

        var operation = api.ActionDescriptor.EndpointMetadata.OfType<FhirOperation>().FirstOrDefault();
        var kind = (api.HttpMethod?.ToUpperInvariant(), rest) switch
        {
            ("GET", []) => FhirRouteKind.Search,
            ("POST", ["_search"]) => FhirRouteKind.SearchByPost,
            ("POST", []) => FhirRouteKind.Create,
            ("GET", [_]) => type == "Binary" ? FhirRouteKind.BinaryRead : FhirRouteKind.Read,
            ("GET", [_, "_history"]) => FhirRouteKind.History,
            ("GET", [_, "_history", _]) => FhirRouteKind.VRead,
            ("PUT", [_]) => FhirRouteKind.Update,
            ("PATCH", [_]) => FhirRouteKind.Patch,
            ("DELETE", [_]) => FhirRouteKind.Delete,
            _ => FhirRouteKind.Other,
        };
        return new FhirRoute(type, kind, operation);
    }
}
