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

    /// <summary>
    /// PDSm st_maj.md, "Répercussion sur les lots de soumission et les classeurs": every SubmissionSet and Folder of the record
    /// loses, for good, its entries naming a deleted document (MHD forbids List.entry.deleted); a SubmissionSet is otherwise
    /// unchanged, a Folder's date becomes the deletion's.
    /// </summary>
    public static async Task<IReadOnlyList<(ResourceRow Row, Resource Changed)>> ListsWithoutAsync(IReadOnlyList<ResourceRow> deleted, DateTime now, DmpDbContext db, CancellationToken ct)
    {
        var ids = deleted.Select(r => r.LogicalId).Distinct().ToList();
        var patientIds = deleted.Select(r => r.PatientId).Distinct().ToList();
        // Only current rows keep index rows: the item references find the Lists as they stand.
        var rowIds = db.ReferenceIndex.Where(x => x.ResourceType == "List" && x.ParamName == "item" && x.TargetType == "DocumentReference"
            && ids.Contains(x.TargetId) && patientIds.Contains(x.PatientId)).Select(x => x.ResourceRowId);
        var lists = await db.Resources.AsNoTracking().Where(r => rowIds.Contains(r.Id) && r.IsCurrent && !r.IsDeleted).ToListAsync(ct);
        var changed = new List<(ResourceRow, Resource)>();
        foreach (var row in lists)
        {
            var list = (List)ResourceStore.ToStored(row).Resource!;
            list.Entry.RemoveAll(e => SearchIndexer.ParseReference(e.Item?.Reference ?? string.Empty) is ("DocumentReference", var id) && ids.Contains(id));
            if (ListRules.IsFolder(list))
            {
                list.Date = new DateTimeOffset(now).ToString("yyyy-MM-ddTHH:mm:ss.fffK", System.Globalization.CultureInfo.InvariantCulture);
            }

            changed.Add((row, list));
        }

        return changed;
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
