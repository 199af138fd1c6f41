using System.Net;
using DmpApi.Access;
using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Storage;
using DmpApi.Validation;
using Hl7.Fhir.Model;

namespace DmpApi.Documents;

/// <summary>
/// PATCH on a DocumentReference (FHIR R4 §3.1.0.6), limited to `status`, `securityLabel` and the archive flag (DESIGN §4,
/// PDSm st_maj.md): how the patient masks a document and how its author archives or withdraws it. The body is a FHIRPath
/// Patch (`Parameters`, application/fhir+json or +xml: the format PDSm requires) or a JSON Patch (RFC 6902); PDSm's
/// conditional PATCH finds the document by its business identifier (`PATCH DocumentReference?identifier=…`).
/// </summary>
public static class DocumentPatchEndpoints
{
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
        var patch = await FhirPatchBody.ReadAsync(http.Request, ct);
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

        Conformance.Require(patched); // the patched version conforms as a created one must
        // Without If-Match the patch still applies to the version it was computed on: a concurrent change answers 412.
        var stored = await store.UpdateAsync(scope, patched, http.Request.IfMatchVersion() ?? current.Version, http.Request.BaseUrl(), ct);
        return FhirResult.Written(http, HttpStatusCode.OK, stored, $"DocumentReference updated to version {stored.Version}.");
    }
}
