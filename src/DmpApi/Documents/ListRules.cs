using DmpApi.Fhir;
using DmpApi.Patients;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Documents;

/// <summary>
/// IHE MHD / PDSm Lists (PDSm_SubmissionSetComprehensive, PDSm_FolderComprehensive): a SubmissionSet or a Folder of one
/// patient's record, whose entries name documents (or, for a SubmissionSet, Folders) of that same record. Who sees a
/// List is decided in Access: never one that names a document hidden from the requester (docs/ACCESS-RULES.md).
/// </summary>
internal sealed class ListRules : IResourceRules
{
    public const string ListTypesSystem = "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes";

    public string ResourceType => "List";

    public static bool IsSubmissionSet(List list) => HasCode(list, "submissionset");

    public static bool IsFolder(List list) => HasCode(list, "folder");

    public async Task<string> PrepareAsync(Resource resource, PendingWrite write, CancellationToken cancellationToken)
    {
        var list = (List)resource;
        if (!IsSubmissionSet(list) && !IsFolder(list))
        {
            throw FhirException.Unprocessable($"List.code must be {ListTypesSystem}#submissionset or #folder: this server keeps the IHE MHD Lists of a record only.",
                OperationOutcome.IssueType.Value);
        }

        var patientId = await PatientReferences.ResolveAsync(write, list.Subject, "List.subject", cancellationToken);
        if (write.IsConsequence)
        {
            // The server withdraws a deleted document's entries (PDSm st_maj.md): what remains was checked when it was written.
            return patientId;
        }

        if (write.Previous is not null && IsSubmissionSet(list))
        {
            // IHE MHD: a SubmissionSet records one submission as it happened; later changes go to its documents or Folders.
            throw FhirException.Unprocessable("A SubmissionSet is not changed after its submission (IHE MHD); change its documents or Folders instead.",
                OperationOutcome.IssueType.BusinessRule);
        }

        foreach (var (entry, index) in list.Entry.Select((e, i) => (e, i)))
        {
            var (type, id) = Target(entry.Item?.Reference);
            var allowed = type == "DocumentReference" || (type == "List" && IsSubmissionSet(list));
            if (!allowed || id is null
                || !await write.Db.Resources.AsNoTracking()
                    .AnyAsync(r => r.ResourceType == type && r.LogicalId == id && r.IsCurrent && !r.IsDeleted && r.PatientId == patientId, cancellationToken))
            {
                throw FhirException.Unprocessable(
                    $"List.entry[{index}].item must name a DocumentReference{(IsSubmissionSet(list) ? " or a Folder" : string.Empty)} of the same record (got '{entry.Item?.Reference}').",
                    OperationOutcome.IssueType.Invalid);
            }
        }

        return patientId;
    }

    private static (string? Type, string? Id) Target(string? reference)
    {
        var parts = reference?.Split('/');
        return parts is { Length: >= 2 } ? (parts[^2], parts[^1]) : (null, null);
    }

    private static bool HasCode(List list, string code) =>
        list.Code?.Coding.Any(c => c.System == ListTypesSystem && c.Code == code) == true;
}
