using DmpApi.Auth;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace DmpApi.OpenApi;

/// <summary>Describes FHIR bodies, parameters and status codes from each endpoint's <see cref="FhirOperation"/> metadata.</summary>
internal sealed class FhirOperationFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        var fhir = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<FhirOperation>().FirstOrDefault();
        operation.Responses ??= new OpenApiResponses();
        var responses = operation.Responses;
        void Respond(string code, string description)
        {
            responses[code] = new OpenApiResponse { Description = description, Content = FhirContent() };
        }

        if (fhir is null)
        {
            Respond("200", "The server's CapabilityStatement");
            return;
        }

        responses.Clear();
        switch (fhir.Interaction)
        {
            case FhirInteraction.Create:
                Respond("201", $"Created: the {fhir.ResourceType} (per Prefer), with Location and ETag");
                Respond("200", "If-None-Exist matched an existing resource: nothing created");
                Respond("400", "Malformed body or wrong resourceType");
                Respond("412", "If-None-Exist matched several resources");
                Respond("415", "Content-Type is not FHIR JSON or XML");
                Respond("422", "Valid FHIR that breaks a DMP rule");
                operation.RequestBody = new OpenApiRequestBody { Required = true, Content = FhirContent() };
                break;
            case FhirInteraction.Update:
                Respond("200", "Updated: the new version");
                Respond("400", "Malformed body, wrong resourceType or id mismatch");
                Respond("404", "No such resource");
                Respond("412", "If-Match does not name the current version");
                Respond("415", "Content-Type is not FHIR JSON or XML");
                Respond("422", "Valid FHIR that breaks a DMP rule");
                operation.RequestBody = new OpenApiRequestBody { Required = true, Content = FhirContent() };
                break;
            case FhirInteraction.Delete:
                responses["204"] = new OpenApiResponse { Description = "Deleted (logically)" };
                Respond("404", "No such resource");
                break;
            case FhirInteraction.Search:
                Respond("200", "A searchset Bundle");
                Respond("400", "Invalid search parameter value, or unknown parameter under Prefer: handling=strict");
                break;
            default:
                Respond("200", $"The {fhir.ResourceType}");
                Respond("404", "No such resource (or hidden from this requester)");
                Respond("410", "The resource was deleted");
                break;
        }

        Respond("401", "Missing, invalid or expired token");
        Respond("403", "The token's scopes do not grant this interaction");
    }

    private static Dictionary<string, OpenApiMediaType> FhirContent() => new()
    {
        ["application/fhir+json"] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.Object } },
        ["application/fhir+xml"] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
    };
}
