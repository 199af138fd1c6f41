using DmpApi.Access;
using DmpApi.Search;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Documents;

/// <summary>
/// PDSm logical deletion of a document (ANS IG input/pagecontent/st_maj.md, "Suppression logique d'une fiche"): the document
/// is kept with `status` = superseded, the PDSm_IsDeleted extension true and no longer archived; the deletion reaches every
/// document it replaced, directly or not; none of their versions is readable any more (404 to everyone), the traces stay.
/// </summary>
public static class DocumentDeletion
{
    /// <summary>PDSm_IsDeleted (input/fsh/extensions/PDSm_IsDeleted.fsh).</summary>
    public const string IsDeletedExtension = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-deleted";

    public static DocumentReference Tombstone(DocumentReference current)
    {
        var kept = (DocumentReference)current.DeepCopy();
        kept.Status = DocumentReferenceStatus.Superseded;
        // PDSm: a deleted document is no longer archived.
        kept.Extension.RemoveAll(e => e.Url is DmpCodes.IsArchivedExtension or SearchParameterRegistry.PdsmIsArchivedExtension or IsDeletedExtension);
        kept.Extension.Add(new Extension(IsDeletedExtension, new FhirBoolean(true)));
        return kept;
    }

    /// <summary>Whether a patched version asks for the logical deletion (PDSm_IsDeleted true).</summary>
    public static bool MarksDeleted(DocumentReference document) =>
        document.GetExtensionValue<FhirBoolean>(IsDeletedExtension)?.Value == true;

    /// <summary>The version without its deletion mark, to check that the deletion changes nothing else.</summary>
    public static DocumentReference Unmarked(DocumentReference document)
    {
        var copy = (DocumentReference)document.DeepCopy();
        copy.Extension.RemoveAll(e => e.Url == IsDeletedExtension);
        return copy;
    }

    /// <summary>The current rows of the documents this one replaced, directly or through earlier replacements, in its record.</summary>
    public static async Task<IReadOnlyList<ResourceRow>> ReplacedChainAsync(DocumentReference document, string? patientId, DmpDbContext db, CancellationToken ct)
    {
        var found = new List<ResourceRow>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<DocumentReference>([document]);
        while (pending.TryDequeue(out var next))
        {
            foreach (var relation in next.RelatesTo.Where(r => r.Code == DocumentRelationshipType.Replaces))
            {
                if (relation.Target?.Reference is not { } reference || SearchIndexer.ParseReference(reference) is not ("DocumentReference", var id) || !seen.Add(id))
                {
                    continue;
                }

                var row = await db.Resources.AsNoTracking()
                    .FirstOrDefaultAsync(r => r.ResourceType == "DocumentReference" && r.LogicalId == id && r.IsCurrent && !r.IsDeleted && r.PatientId == patientId, ct);
                if (row is not null)
                {
                    found.Add(row);
                    pending.Enqueue((DocumentReference)ResourceStore.ToStored(row).Resource!);
                }
            }
        }

        return found;
    }
}
