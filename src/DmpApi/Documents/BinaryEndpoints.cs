using System.Net;
using DmpApi.Access;
using DmpApi.Audit;
using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Documents;

/// <summary>
/// Document content (DESIGN §4): raw bytes with their content type, or a FHIR Binary when the client asks for FHIR.
/// Reading a Binary is reading its DocumentReference: it is found through the document's record.
/// </summary>
public static class BinaryEndpoints
{
    public static RouteGroupBuilder MapBinaryEndpoints(this RouteGroupBuilder fhir)
    {
        var group = fhir.MapGroup("/Binary").WithTags("Binary");
        group.MapGet("/{id}", ReadAsync)
            .WithName("ReadBinary")
            .WithSummary("Read a document's content: raw bytes, or a FHIR Binary with Accept: application/fhir+json|xml")
            .WithFhirOperation("Binary", FhirInteraction.Read)
            .RequireScopeOf("DocumentReference", FhirInteraction.Read); // a document's content is read as the document is
        return group;
    }

    private static async Task<IResult> ReadAsync(string id, HttpContext http, ResourceStore store, CancellationToken ct)
    {
        var scope = http.GetAccessScope();
        // A Binary is read as its document is (DESIGN §4): through the document's access predicate, content included.
        var documentId = await scope.DocumentOfBinaryAsync(id, ct);
        var visible = documentId is null ? AccessPredicate.Nothing : await scope.ReadPredicateAsync("DocumentReference", documentId, ct);
        var document = documentId is null ? null : await store.ReadAsync(visible, "DocumentReference", documentId, ct);
        var binary = document is null ? null : await store.ReadBinaryAsync(visible, id, ct);
        if (binary is null || document is null)
        {
            throw FhirException.NotFound("Binary", id);
        }

        if (document.IsDeleted)
        {
            throw FhirRequest.Gone("Binary", id);
        }

        // DESIGN §4: reading the content is reading its document; the trace names both, in the document's record.
        http.AuditScope()?.Returned("DocumentReference", binary.DocumentId, binary.PatientId);
        http.AuditScope()?.Returned("Binary", binary.LogicalId, binary.PatientId);
        var lastUpdated = new DateTimeOffset(DateTime.SpecifyKind(binary.LastUpdated, DateTimeKind.Utc));
        if (!FhirWire.AsksForFhir(http.Request))
        {
            http.Response.Headers.ETag = "W/\"1\"";
            return TypedResults.Bytes(binary.Content, binary.ContentType, lastModified: lastUpdated);
        }

        var resource = new Binary
        {
            Id = binary.LogicalId,
            ContentType = binary.ContentType,
            Data = binary.Content,
            SecurityContext = new ResourceReference($"DocumentReference/{binary.DocumentId}"),
            Meta = new Meta { VersionId = "1", LastUpdated = lastUpdated },
        };
        return new FhirResult(HttpStatusCode.OK, resource);
    }
}
