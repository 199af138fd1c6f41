namespace DmpApi.Access;

/// <summary>
/// DMP-RULES §2 rules 5–8 for one requester at one instant, in the form the store turns into SQL predicates applied
/// before paging and counting (DESIGN §2). <see cref="Matches"/> is the same predicate in memory: the store's
/// translation must agree with it.
/// </summary>
/// <param name="Types">Rule 5: the readable document types (see <see cref="DocumentTypeFilter"/>).</param>
/// <param name="SeesMaskedDocuments">Rule 6: the patient and the médecins traitants see every MASQUE_PS document.</param>
/// <param name="MaskedDocumentsAuthor">Rule 6: a professional still sees the MASQUE_PS documents whose recorded author is this idNatPs.</param>
/// <param name="InvisibleToPatientHiddenAfter">
/// Rule 7: INVISIBLE_PATIENT documents deposited after this instant are hidden; null when the label hides nothing
/// from this requester (professionals).
/// </param>
public sealed record DocumentFilter(
    DocumentTypeFilter Types,
    bool SeesMaskedDocuments,
    string? MaskedDocumentsAuthor,
    DateTimeOffset? InvisibleToPatientHiddenAfter)
{
    /// <summary>For a denied decision: no document at all (hidden and absent look the same).</summary>
    public static readonly DocumentFilter Nothing = new(DocumentTypeFilter.None, false, null, null);

    public bool Matches(DocumentFacts document)
    {
        ArgumentNullException.ThrowIfNull(document);
        return Types.Permits(document.Types)
            && (!document.IsMasked || SeesMaskedDocuments || (MaskedDocumentsAuthor is not null && document.AuthorIdNatPs == MaskedDocumentsAuthor))
            && (!document.IsInvisibleToPatient || InvisibleToPatientHiddenAfter is null || document.Deposited <= InvisibleToPatientHiddenAfter);
    }
}
