using System.Text.Json.Nodes;
using DmpApi.Auth;
using DmpApi.Fhir;
using Microsoft.OpenApi;

namespace DmpApi.OpenApi;

/// <summary>The FHIR HTTP parameters and headers (FHIR R4 §3.1.0.1.8, §3.1.0.5) shared by the operations.</summary>
internal static class FhirParameters
{
    public static readonly string[] PreferReturn = ["return=representation", "return=minimal", "return=OperationOutcome"];
    public static readonly string[] PreferSearch = ["handling=lenient", "handling=strict"];

    public static OpenApiParameter Format() => new()
    {
        Name = "_format",
        In = ParameterLocation.Query,
        Description = "Response format; overrides Accept (json = application/fhir+json, xml = application/fhir+xml)",
        Schema = Strings("json", "xml", "application/fhir+json", "application/fhir+xml"),
    };

    /// <summary>
    /// OpenAPI tools set Accept from the response media type chosen; listed so that the negotiation is documented.
    /// Binary read answers raw bytes unless FHIR is asked for.
    /// </summary>
    public static OpenApiParameter Accept(bool binary) => new()
    {
        Name = "Accept",
        In = ParameterLocation.Header,
        Description = binary
            ? "application/fhir+json or application/fhir+xml for a FHIR Binary; anything else (or none) for the raw content"
            : "application/fhir+json (the default) or application/fhir+xml",
        Schema = binary
            ? Strings("application/fhir+json", "application/fhir+xml", "application/octet-stream", "*/*")
            : Strings("application/fhir+json", "application/fhir+xml"),
    };

    public static OpenApiParameter Prefer(string[] values) => new()
    {
        Name = "Prefer",
        In = ParameterLocation.Header,
        Description = values == PreferSearch
            ? "handling=strict turns unknown or unsupported parameters into 400; lenient (the default) ignores them and reports them in an OperationOutcome entry"
            : "What the response body holds: the resource (representation, the default), nothing (minimal) or an OperationOutcome",
        Schema = Strings(values),
    };

    public static OpenApiParameter IfMatch() => new()
    {
        Name = "If-Match",
        In = ParameterLocation.Header,
        Description = "Optimistic locking: the ETag of the version this request changes, e.g. W/\"1\"; 412 if it is no longer the current one",
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };

    public static OpenApiParameter IfNoneExist(string type) => new()
    {
        Name = "If-None-Exist",
        In = ParameterLocation.Header,
        Description = $"Conditional create: search criteria on {type} without '?', e.g. identifier=urn:oid:1.2.250.1.213.1.4.8|255081416802538; "
            + "one match is returned (200) instead of creating, several give 412",
        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };

    /// <summary>A SMART v2 scope that grants the interaction (SmartScopes: c r u d s).</summary>
    public static string ScopeExample(SmartScope scope)
    {
        var letter = scope.Interaction switch
        {
            FhirInteraction.Create => "c",
            FhirInteraction.Read or FhirInteraction.VRead or FhirInteraction.History => "r",
            FhirInteraction.Update or FhirInteraction.Patch => "u",
            FhirInteraction.Delete => "d",
            _ => "s",
        };
        return $"user/{scope.ResourceType}.{letter} or patient/{scope.ResourceType}.{letter}";
    }

    public static Dictionary<string, IOpenApiHeader> ReadHeaders() => new()
    {
        ["ETag"] = Header("The version, W/\"{versionId}\" (If-Match takes it for an update)"),
        ["Last-Modified"] = Header("meta.lastUpdated, as an HTTP date"),
    };

    public static Dictionary<string, IOpenApiHeader> WriteHeaders()
    {
        var headers = ReadHeaders();
        headers["Location"] = Header("The version written: {base}/{type}/{id}/_history/{versionId}");
        return headers;
    }

    private static OpenApiHeader Header(string description) => new() { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };

    private static OpenApiSchema Strings(params string[] values) => new()
    {
        Type = JsonSchemaType.String,
        Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))],
    };
}
