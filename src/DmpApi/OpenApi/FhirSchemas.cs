using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace DmpApi.OpenApi;

/// <summary>
/// FHIR bodies as small named schemas, one per resource type: the resourceType and a link to the R4 page, with a
/// realistic example. The full FHIR type graph is recursive and thousands of schemas long; the FHIR specification
/// is its reference and the Hl7.Fhir SDK its implementation, so the document does not repeat it.
/// </summary>
internal static class FhirSchemas
{
    public const string JsonMediaType = "application/fhir+json";
    public const string XmlMediaType = "application/fhir+xml";

    /// <summary>Schemas every FHIR API needs besides the types it serves.</summary>
    public static readonly IReadOnlyList<string> Infrastructure = ["Binary", "Bundle", "CapabilityStatement", "OperationOutcome"];

    public static IOpenApiSchema Reference(string resourceType, OpenApiDocument document) => new OpenApiSchemaReference(resourceType, document);

    /// <summary>The id, in components/examples, of a type's FHIR XML example.</summary>
    public static string XmlExampleId(string resourceType) => resourceType + ".xml";

    /// <summary>A FHIR body in JSON and XML, both with the type's schema; XML shows the SDK's XML form of the example.</summary>
    public static Dictionary<string, OpenApiMediaType> Content(string resourceType, OpenApiDocument document)
    {
        var xml = new OpenApiMediaType { Schema = Reference(resourceType, document) };
        if (FhirExamples.For(resourceType) is not null)
        {
            xml.Examples = new Dictionary<string, IOpenApiExample> { [resourceType] = new OpenApiExampleReference(XmlExampleId(resourceType), document) };
        }

        return new Dictionary<string, OpenApiMediaType>
        {
            [JsonMediaType] = new() { Schema = Reference(resourceType, document) },
            [XmlMediaType] = xml,
        };
    }

    public static OpenApiSchema Schema(string resourceType)
    {
        var page = $"https://hl7.org/fhir/R4/{resourceType.ToLowerInvariant()}.html";
        return new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = $"A FHIR R4 {resourceType} resource: {page}",
            Required = new HashSet<string> { "resourceType" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["resourceType"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [JsonValue.Create(resourceType)] },
                ["id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Logical id, assigned by the server" },
                ["meta"] = new OpenApiSchema { Type = JsonSchemaType.Object, Description = "versionId and lastUpdated, maintained by the server" },
            },
            // The other elements follow the FHIR specification; keeping them open avoids a recursive type graph.
            AdditionalProperties = new OpenApiSchema(),
            Examples = FhirExamples.For(resourceType) is { } example ? [FhirExamples.Json(example)] : null,
        };
    }
}

/// <summary>Adds the FHIR schemas and XML examples the operations refer to (the operation filter only refers to them).</summary>
internal sealed class FhirSchemasDocumentFilter : IDocumentFilter
{
    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        var types = context.ApiDescriptions.Select(FhirRoute.Describe).OfType<FhirRoute>().Select(r => r.ResourceType)
            .Concat(FhirSchemas.Infrastructure)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        document.Components.Examples ??= new Dictionary<string, IOpenApiExample>();
        foreach (var type in types)
        {
            document.Components.Schemas[type] = FhirSchemas.Schema(type);
            if (FhirExamples.For(type) is { } example)
            {
                document.Components.Examples[FhirSchemas.XmlExampleId(type)] = new OpenApiExample
                {
                    Summary = $"A {type} in FHIR XML",
                    Value = JsonValue.Create(FhirExamples.Xml(example)),
                };
            }
        }
    }
}
