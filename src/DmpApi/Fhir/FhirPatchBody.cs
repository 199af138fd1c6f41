using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.JsonPatch.SystemTextJson;
using Microsoft.AspNetCore.JsonPatch.SystemTextJson.Exceptions;
using Microsoft.AspNetCore.JsonPatch.SystemTextJson.Operations;
using Microsoft.Net.Http.Headers;

namespace DmpApi.Fhir;

/// <summary>
/// The body of a PATCH (FHIR R4 §3.1.0.6), read once and applied to whatever version the endpoint patches: a FHIRPath
/// Patch (a `Parameters` resource, application/fhir+json or +xml) or a JSON Patch (RFC 6902, application/json-patch+json).
/// A malformed body answers 400 (415 for another media type); a patch that does not fit the resource 422.
/// </summary>
public static class FhirPatchBody
{
    public const string JsonPatchMediaType = "application/json-patch+json";

    /// <summary>The bodies PATCH takes, as the CapabilityStatement's patchFormat declares them: FHIRPath Patch in both FHIR formats, then JSON Patch.</summary>
    public static readonly IReadOnlyList<string> PatchFormats = ["application/fhir+json", "application/fhir+xml", JsonPatchMediaType];

    /// <summary>The FHIR media types of R4 and their DSTU2 spellings, which clients still send.</summary>
    private static readonly string[] FhirPathPatchMediaTypes = ["application/fhir+json", "application/fhir+xml", "application/json+fhir", "application/xml+fhir"];

    /// <summary>The patch of the body, by its media type, as a function from a version to its patched copy.</summary>
    public static async Task<Func<Resource, Resource>> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var media)
            || !media.MediaType.Equals(JsonPatchMediaType, StringComparison.OrdinalIgnoreCase))
        {
            if (media?.MediaType.Value is not { } type || !FhirPathPatchMediaTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
            {
                throw new FhirException(HttpStatusCode.UnsupportedMediaType, OperationOutcome.IssueType.NotSupported,
                    $"PATCH takes a FHIRPath Patch (a Parameters resource, Content-Type: application/fhir+json or application/fhir+xml) or a JSON Patch (Content-Type: {JsonPatchMediaType}).");
            }

            var parameters = await FhirWire.ReadBodyAsync(request, ct) as Parameters
                ?? throw FhirException.BadRequest("A FHIRPath Patch is a Parameters resource (FHIR R4 §3.1.0.6).", OperationOutcome.IssueType.Structure);
            return current => FhirPathPatch.Apply(current, parameters);
        }

        var json = await ReadJsonPatchAsync(request, ct);
        return current => Apply(json, current);
    }

    private static async Task<JsonPatchDocument> ReadJsonPatchAsync(HttpRequest request, CancellationToken ct)
    {
        var body = await FhirWire.ReadLimitedBodyAsync(request, "a JSON Patch document (an array of operations)", ct);
        JsonPatchDocument? patch;
        try
        {
            patch = JsonSerializer.Deserialize<JsonPatchDocument>(body);
        }
        catch (JsonException e)
        {
            throw FhirException.BadRequest($"The body is not a JSON Patch document: {e.Message}", OperationOutcome.IssueType.Structure);
        }

        if (patch is null || patch.Operations.Count == 0)
        {
            throw FhirException.BadRequest("The JSON Patch document holds no operation.", OperationOutcome.IssueType.Required);
        }

        if (patch.Operations.Select((o, i) => (o, i)).FirstOrDefault(x => x.o.OperationType == OperationType.Invalid || string.IsNullOrEmpty(x.o.path)) is { o: not null } bad)
        {
            throw FhirException.BadRequest(
                $"JSON Patch operation {bad.i} ('{bad.o.op}' at '{bad.o.path}') is not one of add, remove, replace, move, copy, test with a path.",
                OperationOutcome.IssueType.Structure);
        }

        return patch;
    }

    /// <summary>Applies the patch to the version's JSON; 422 when it fails (a failed `test` included) or yields no valid resource of its type.</summary>
    private static Resource Apply(JsonPatchDocument patch, Resource current)
    {
        var json = JsonNode.Parse(FhirWire.SerializeJson(current))!.AsObject();
        try
        {
            patch.ApplyTo(json);
        }
        catch (JsonPatchException e)
        {
            throw FhirException.Unprocessable($"The JSON Patch could not be applied: {e.Message}", OperationOutcome.IssueType.Processing);
        }
        catch (ArgumentException e)
        {
            // The library checks some operations' members only when applying them (e.g. "move" or "copy" without "from").
            throw FhirException.BadRequest($"The JSON Patch document is malformed: {e.Message}", OperationOutcome.IssueType.Structure);
        }

        // FHIR JSON has no empty arrays or objects: removing the last label means "no label".
        Prune(json);
        try
        {
            return FhirWire.DeserializeJson(JsonSerializer.SerializeToUtf8Bytes(json));
        }
        catch (Exception e) when (e is Hl7.Fhir.Serialization.DeserializationFailedException or JsonException or FormatException or InvalidOperationException)
        {
            throw FhirException.Unprocessable($"The patched resource is not a valid {current.TypeName}: {e.Message}", OperationOutcome.IssueType.Structure);
        }
    }

    private static void Prune(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o.ToList())
                {
                    Prune(child);
                    if (child is JsonArray { Count: 0 } or JsonObject { Count: 0 })
                    {
                        o.Remove(name);
                    }
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    Prune(child);
                }

                break;
        }
    }
}
