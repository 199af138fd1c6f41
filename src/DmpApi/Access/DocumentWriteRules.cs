using System.Net;
using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Storage;
using Hl7.Fhir.Model;

namespace DmpApi.Access;

/// <summary>
/// Who may change a document after its deposit, and what (DMP-RULES §3, PDSm): its author changes `status`,
/// `securityLabel` and the archive flag, replaces it or deletes it; the patient adds or removes `MASQUE_PS` only;
/// anything else needs a replacement document.
/// </summary>
public static class DocumentWriteRules
{
    /// <summary>DMP-RULES §3: only a document's author deletes it (the patient masks it instead).</summary>
    public static void CheckDelete(Requester requester, ResourceRow stored)
    {
        if (!IsAuthor(requester, stored))
        {
            throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                "Only the author of this document may delete it; the patient may mask it (MASQUE_PS) instead.");
        }
    }

    /// <summary>DMP-RULES §3, IHE MHD: only a document's author replaces it.</summary>
    public static void CheckReplacement(Requester requester, ResourceRow replaced)
    {
        if (!IsAuthor(requester, replaced))
        {
            throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                $"Only the professional who deposited DocumentReference/{replaced.LogicalId} may replace it.");
        }
    }

    /// <summary>Whether the requester deposited the stored document: a professional by idNatPs, a system by client id, the patient when no one else did.</summary>
    public static bool IsAuthor(Requester requester, ResourceRow stored) => requester.Kind switch
    {
        RequesterKind.Professional or RequesterKind.System => stored.DepositorIdNatPs is { } depositor && depositor == ResourceWriteRules.WriterOf(requester).Depositor,
        _ => stored.DepositorIdNatPs is null,
    };

    /// <summary>422 when the new version changes more than the requester may; 403 when the requester may change nothing.</summary>
    public static void Check(DocumentReference before, DocumentReference after, ResourceRow stored, Requester requester)
    {
        var isAuthor = IsAuthor(requester, stored);
        if (!isAuthor && !requester.ActsForHolder)
        {
            throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                "Only the professional who deposited this document may change, archive or delete it; the patient may mask it.");
        }

        if (!ChangesOnlyChangeableElements(before, after))
        {
            throw FhirException.Unprocessable(OnlyChangeableElements);
        }

        if (isAuthor)
        {
            return;
        }

        // The patient: MASQUE_PS on or off (CSP L1111-15), nothing else.
        if (before.Status != after.Status || IsArchived(before) != IsArchived(after)
            || !Unmasked(before.SecurityLabel).SequenceEqual(Unmasked(after.SecurityLabel), DeepEquality.Instance))
        {
            throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                "As the patient, you may add or remove the MASQUE_PS label of a document of your record; its status, other labels "
                + "and archive flag belong to its author.");
        }
    }

    public const string OnlyChangeableElements =
        "Only status, securityLabel and the archive flag (extension " + DmpCodes.IsArchivedExtension + ") of a "
        + "DocumentReference can change after its deposit (PDSm); publish a replacement document (relatesTo.code = replaces) instead.";

    /// <summary>PDSm st_maj.md: after the deposit, only `status`, `securityLabel` and the archive flag change.</summary>
    public static bool ChangesOnlyChangeableElements(DocumentReference before, DocumentReference after) =>
        WithoutChangeableElements(before).IsExactly(WithoutChangeableElements(after));

    private static DocumentReference WithoutChangeableElements(DocumentReference document)
    {
        var copy = (DocumentReference)document.DeepCopy();
        copy.Meta = null;
        copy.Status = null;
        copy.SecurityLabel = [];
        copy.Extension.RemoveAll(e => e.Url == DmpCodes.IsArchivedExtension);
        return copy;
    }

    private static bool IsArchived(DocumentReference document) =>
        document.GetExtensionValue<FhirBoolean>(DmpCodes.IsArchivedExtension)?.Value == true;

    private static IEnumerable<CodeableConcept> Unmasked(IEnumerable<CodeableConcept> labels) =>
        labels.Where(l => !QualifiedCode.From(l).Contains(DmpCodes.Masked));

    private sealed class DeepEquality : IEqualityComparer<CodeableConcept>
    {
        public static readonly DeepEquality Instance = new();
        public bool Equals(CodeableConcept? x, CodeableConcept? y) => x is null ? y is null : y is not null && x.IsExactly(y);
        public int GetHashCode(CodeableConcept obj) => 0;
    }
}
