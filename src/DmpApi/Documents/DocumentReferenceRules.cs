using System.Security.Cryptography;
using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Patients;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Documents;

/// <summary>
/// A document belongs to one patient's record; inline content moves to a Binary whose url, size and SHA-1 hash
/// the attachment then carries (DESIGN §4, PDSm: hash is SHA-1).
/// </summary>
internal sealed class DocumentReferenceRules : IResourceRules, IDeletionRules
{
    public string ResourceType => "DocumentReference";

    public Resource Tombstone(Resource current) => DocumentDeletion.Tombstone((DocumentReference)current);

    public Task<IReadOnlyList<ResourceRow>> DeletedWithAsync(Resource current, string? patientId, DmpDbContext db, CancellationToken ct) =>
        DocumentDeletion.ReplacedChainAsync((DocumentReference)current, patientId, db, ct);

    public Task<IReadOnlyList<(ResourceRow Row, Resource Changed)>> ChangedWithAsync(IReadOnlyList<ResourceRow> deleted, DateTime now, DmpDbContext db, CancellationToken ct) =>
        DocumentDeletion.ListsWithoutAsync(deleted, now, db, ct);

    public async Task<string> PrepareAsync(Resource resource, PendingWrite write, CancellationToken cancellationToken)
    {
        var document = (DocumentReference)resource;
        RefuseEnteredInError(document);
        var patientId = await PatientReferences.ResolveAsync(write, document.Subject, "DocumentReference.subject", cancellationToken);
        if (write.Previous is not null)
        {
            // A change of a deposited document: its content and author were settled at the deposit; what may change, and
            // by whom, is decided in Access (DocumentWriteRules).
            return patientId;
        }

        // The habilitation matrix filters by type (DMP-RULES §2 rule 5): a document without one could be shown to no one but the patient.
        if (document.Type?.Coding is not { Count: > 0 } || document.Type.Coding.All(c => string.IsNullOrEmpty(c?.Code)))
        {
            throw FhirException.Unprocessable("DocumentReference.type is required: a LOINC or TRE_A05 code (DMP-RULES §1), which the habilitation matrix reads.",
                OperationOutcome.IssueType.Required);
        }

        RecordAuthor(document, write.Scope.Writer);
        RegisterUniqueId(document, patientId, write);
        write.Replaced.AddRange(await DocumentReplacement.ReplacedAsync(document, patientId, write, cancellationToken));

        foreach (var (content, index) in document.Content.Select((c, i) => (c, i)))
        {
            var attachment = content.Attachment;
            if (attachment?.Data is not { } data)
            {
                continue;
            }

            if (string.IsNullOrEmpty(attachment.ContentType))
            {
                throw FhirException.Unprocessable($"DocumentReference.content[{index}].attachment.contentType is required with inline data.", OperationOutcome.IssueType.Required);
            }

            var hash = SHA1.HashData(data);
            if (attachment.Hash is { Length: > 0 } claimed && !claimed.AsSpan().SequenceEqual(hash))
            {
                throw FhirException.Unprocessable($"DocumentReference.content[{index}].attachment.hash does not match the SHA-1 of its data.", OperationOutcome.IssueType.Value);
            }

            // Read and write SizeElement as R4's unsignedInt: the SDK 6.8 Size property assumes R5's integer64.
            if (attachment.SizeElement is UnsignedInt { Value: { } size } && size != data.Length)
            {
                throw FhirException.Unprocessable($"DocumentReference.content[{index}].attachment.size is {size}, but the data has {data.Length} bytes.", OperationOutcome.IssueType.Value);
            }

            var binaryId = Guid.NewGuid().ToString("N");
            write.Binaries.Add(new BinaryRow
            {
                LogicalId = binaryId, PatientId = patientId, DocumentId = write.ResourceId, ContentType = attachment.ContentType,
                Content = data, LastUpdated = DateTime.UtcNow,
            });
            attachment.Data = null;
            attachment.Url = $"{write.BaseUrl}/Binary/{binaryId}";
            attachment.SizeElement = new UnsignedInt(data.Length);
            attachment.Hash = hash;
        }

        return patientId;
    }

    /// <summary>
    /// PDSm st_maj.md (after IHE ITI.MHD issue 274): `entered-in-error` is not a DocumentReference.status; every write
    /// (create, update, PATCH, ITI-65 entry) comes through here, so the rule holds once for all of them.
    /// </summary>
    private static void RefuseEnteredInError(DocumentReference document)
    {
        if (document.Status == DocumentReferenceStatus.EnteredInError)
        {
            throw FhirException.Unprocessable(
                "DocumentReference.status must not be entered-in-error (PDSm st_maj.md): a document deposited in error is withdrawn by a logical deletion (status superseded and PDSm_IsDeleted true, or DELETE DocumentReference/{id}).",
                OperationOutcome.IssueType.BusinessRule);
        }
    }

    /// <summary>
    /// IHE XDS/MHD: a document's uniqueId (masterIdentifier) names one document of the registry; a second deposit with it is
    /// refused (409, XDSDuplicateUniqueIdInRegistry) by the key of its row.
    /// </summary>
    private static void RegisterUniqueId(DocumentReference document, string patientId, PendingWrite write)
    {
        if (document.MasterIdentifier is not { Value: { Length: > 0 } value } identifier)
        {
            return;
        }

        var row = new DocumentUniqueIdRow { System = identifier.System ?? string.Empty, Value = value, DocumentId = write.ResourceId, PatientId = patientId };
        if (row.System.Length > 128 || row.Value.Length > 256)
        {
            throw FhirException.Unprocessable("DocumentReference.masterIdentifier is an OID or a URI of at most 256 characters (system at most 128).", OperationOutcome.IssueType.Value);
        }

        // No look-up first: the row's key refuses a registered uniqueId when the write is saved (ResourceStore.SaveAsync
        // answers 409 naming it), on every instance at once and without a round trip per deposit.
        write.UniqueIds.Add(row);
    }

    /// <summary>DMP-RULES §3: the author is the depositing professional (or system, issue 15) of the token; added to `author` when the body omits them.</summary>
    private static void RecordAuthor(DocumentReference document, Writer requester)
    {
        if (Recorders.Of(requester) is { } author && !document.Author.Any(a => Recorders.Names(a, requester)))
        {
            document.Author.Add(author);
        }
    }

    /// <summary>idNatPs (DMP-RULES §1), taken as given from the token.</summary>
    public const string IdNatPsSystem = Requester.IdNatPsSystem;
}
