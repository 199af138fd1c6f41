using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using DmpApi.Access;
using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.JsonPatch.SystemTextJson;
using Microsoft.AspNetCore.JsonPatch.SystemTextJson.Exceptions;
using Microsoft.AspNetCore.JsonPatch.SystemTextJson.Operations;
using Microsoft.Net.Http.Headers;

namespace DmpApi.Documents;

/// <summary>
/// PATCH on a DocumentReference (FHIR R4 §3.1.0.6), limited to `status`, `securityLabel` and the archive flag (DESIGN §4,
/// PDSm st_maj.md): how the patient masks a document and how its author archives or withdraws it. The body is a FHIRPath
/// Patch (`Parameters`, application/fhir+json or +xml: the format PDSm requires) or a JSON Patch (RFC 6902); PDSm's
/// conditional PATCH finds the document by its business identifier (`PATCH DocumentReference?identifier=…`).
/// </summary>
public static class DocumentPatchEndpoints
{
    public const string JsonPatchMediaType = "application/json-patch+json";

    /// <summary>The bodies PATCH takes, as the CapabilityStatement's patchFormat declares them: FHIRPath Patch in both FHIR formats, then JSON Patch.</summary>
    public static readonly IReadOnlyList<string> PatchFormats = ["application/fhir+json", "application/fhir+xml", JsonPatchMediaType];

    /// <summary>The FHIR media types of R4 and their DSTU2 spellings, which clients still send.</summary>
    private static readonly string[] FhirPathPatchMediaTypes = ["application/fhir+json", "application/fhir+xml", "application/json+fhir", "application/xml+fhir"];

    /// <summary>Maps PATCH /{id} on the DocumentReference group.</summary>
    public static RouteGroupBuilder MapDocumentPatchEndpoints(this RouteGroupBuilder documents)
    {
        documents.MapPatch("/{id}", PatchAsync)
            .WithName("PatchDocumentReference")
            .WithSummary("Change a DocumentReference's status, securityLabel or archive flag (FHIRPath Patch or JSON Patch)")
            .RequireScope("DocumentReference", FhirInteraction.Patch);
        documents.MapPatch("/", ConditionalPatchAsync)
            .WithName("ConditionalPatchDocumentReference")
            .WithSummary("Change the DocumentReference with this business identifier (PDSm conditional PATCH: ?identifier=system|value)")
            .RequireScope("DocumentReference", FhirInteraction.Patch);
        return documents;
    }

    /// <summary>PDSm st_maj.md: the document named by its identifier; none (or none the requester may see) 404, several 412.</summary>
    private static async Task<IResult> ConditionalPatchAsync(HttpContext http, ResourceStore store, CancellationToken ct)
    {
        var query = http.Request.Query;
        if (query.Count != 1 || !query.TryGetValue("identifier", out var values) || values.Count != 1 || string.IsNullOrEmpty(values[0]))
        {
            throw FhirException.BadRequest("A conditional PATCH names the document by one business identifier: PATCH DocumentReference?identifier=system|value.");
        }

        var scope = http.GetAccessScope();
        var visible = new List<string>();
        foreach (var candidate in await scope.LocateByIdentifierAsync("DocumentReference", values[0]!, ct))
        {
            if (await store.ReadAsync(await scope.ReadPredicateAsync("DocumentReference", candidate, ct), "DocumentReference", candidate, ct) is { IsDeleted: false })
            {
                visible.Add(candidate);
            }
        }

        return visible.Count switch
        {
            0 => throw new FhirException(HttpStatusCode.NotFound, OperationOutcome.IssueType.NotFound, $"No DocumentReference has the identifier '{values[0]}'."),
            1 => await PatchAsync(visible[0], http, store, ct),
            _ => throw new FhirException(HttpStatusCode.PreconditionFailed, OperationOutcome.IssueType.MultipleMatches,
                $"{visible.Count} DocumentReferences have the identifier '{values[0]}'; a conditional PATCH changes one."),
        };
    }

    private static async Task<IResult> PatchAsync(string id, HttpContext http, ResourceStore store, CancellationToken ct)
    {
        var patch = await ReadPatchAsync(http.Request, ct);
        var scope = http.GetAccessScope();
        var current = await store.ReadAsync(await scope.ReadPredicateAsync("DocumentReference", id, ct), "DocumentReference", id, ct) ?? throw FhirException.NotFound("DocumentReference", id);
        if (current.IsDeleted)
        {
            throw FhirRequest.Gone("DocumentReference", id);
        }

        var patched = patch(current.Resource!);
        if (patched is not DocumentReference changed || patched.Id != current.Id)
        {
            throw FhirException.Unprocessable("A patch cannot change the resource's type or id.", OperationOutcome.IssueType.Invariant);
        }

        var before = (DocumentReference)current.Resource!;
        if (DocumentDeletion.MarksDeleted(changed))
        {
            // PDSm st_maj.md: a logical deletion by patch sets status superseded and isDeleted true, and changes nothing else.
            if (!DocumentWriteRules.ChangesOnlyChangeableElements(before, DocumentDeletion.Unmarked(changed)))
            {
                throw new FhirException(HttpStatusCode.MethodNotAllowed, OperationOutcome.IssueType.NotSupported, DocumentWriteRules.OnlyChangeableElements);
            }

            if (changed.Status != DocumentReferenceStatus.Superseded)
            {
                throw FhirException.Unprocessable("A logical deletion (PDSm_IsDeleted true) sets DocumentReference.status to superseded too (PDSm).",
                    OperationOutcome.IssueType.BusinessRule);
            }

            if (before.Status != DocumentReferenceStatus.Current)
            {
                // PDSm st_maj.md: only the newest version of a fiche is deleted; a superseded one goes with the one that replaced it.
                throw FhirException.Unprocessable(
                    $"DocumentReference/{id} is {before.Status?.ToString().ToLowerInvariant()}: a logical deletion is asked of the current document, which deletes the documents it replaced with it (PDSm).",
                    OperationOutcome.IssueType.BusinessRule);
            }

            await store.DeleteAsync(scope, "DocumentReference", id, ct, http.Request.IfMatchVersion());
            return new FhirResult(HttpStatusCode.OK, DocumentDeletion.Tombstone(before));
        }

        if (!DocumentWriteRules.ChangesOnlyChangeableElements(before, changed))
        {
            // PDSm st_maj.md, flux 04: a patch of any other element answers 405 Method Not Allowed.
            throw new FhirException(HttpStatusCode.MethodNotAllowed, OperationOutcome.IssueType.NotSupported, DocumentWriteRules.OnlyChangeableElements);
        }

        // Without If-Match the patch still applies to the version it was computed on: a concurrent change answers 412.
        var stored = await store.UpdateAsync(scope, patched, http.Request.IfMatchVersion() ?? current.Version, http.Request.BaseUrl(), ct);
        return FhirResult.Written(http, HttpStatusCode.OK, stored, $"DocumentReference updated to version {stored.Version}.");
    }

    /// <summary>The patch of the body, by its media type: a FHIRPath Patch (a FHIR Parameters resource) or a JSON Patch.</summary>
    private static async Task<Func<Resource, Resource>> ReadPatchAsync(HttpRequest request, CancellationToken ct)
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

    /// <summary>Applies the patch to the stored JSON; 422 when it fails (a failed `test` included) or yields no valid DocumentReference.</summary>
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
        Resource patched;
        try
        {
            patched = FhirWire.DeserializeJson(JsonSerializer.SerializeToUtf8Bytes(json));
        }
        catch (Exception e) when (e is Hl7.Fhir.Serialization.DeserializationFailedException or JsonException or FormatException or InvalidOperationException)
        {
            throw FhirException.Unprocessable($"The patched resource is not a valid DocumentReference: {e.Message}", OperationOutcome.IssueType.Structure);
        }

        return patched;
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
