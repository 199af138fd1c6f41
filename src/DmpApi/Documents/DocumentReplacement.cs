using System.Net;
using DmpApi.Fhir;
using DmpApi.Search;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Documents;

/// <summary>
/// A new document with `relatesTo.code = replaces` replaces an earlier one of the same record (IHE MHD, DMP-RULES §3):
/// only its author may, and the earlier one becomes `superseded` in the same transaction.
/// </summary>
public static class DocumentReplacement
{
    /// <summary>The current rows of the documents the new one replaces, checked; the store supersedes them after writing it.</summary>
    public static async Task<IReadOnlyList<ResourceRow>> ReplacedAsync(DocumentReference document, string patientId, PendingWrite write, CancellationToken ct)
    {
        var replaced = new List<ResourceRow>();
        foreach (var (relation, index) in document.RelatesTo.Select((r, i) => (r, i)))
        {
            if (relation.Code != DocumentRelationshipType.Replaces)
            {
                continue;
            }

            var path = $"DocumentReference.relatesTo[{index}].target";
            if (relation.Target?.Reference is not { } reference || SearchIndexer.ParseReference(reference) is not ("DocumentReference", var id))
            {
                throw FhirException.Unprocessable($"{path} must reference the replaced document as DocumentReference/{{id}}.", OperationOutcome.IssueType.Required);
            }

            var row = await write.Db.Resources.AsNoTracking()
                .FirstOrDefaultAsync(r => r.ResourceType == "DocumentReference" && r.LogicalId == id && r.IsCurrent && !r.IsDeleted, ct);
            if (row is null || row.PatientId != patientId)
            {
                // Absent, deleted or in another record: the same answer, which discloses nothing of other records.
                throw FhirException.Unprocessable($"{path} names DocumentReference/{id}, which is not a document of this patient's record.",
                    OperationOutcome.IssueType.NotFound);
            }

            if (((DocumentReference)ResourceStore.ToStored(row).Resource!).Status == DocumentReferenceStatus.Superseded)
            {
                throw ResourceStore.AlreadyReplaced(id);
            }

            replaced.Add(row);
        }

        return replaced;
    }

}
