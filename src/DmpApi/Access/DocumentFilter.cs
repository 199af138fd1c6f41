namespace DmpApi.Access;

/// <summary>
/// DMP-RULES §2 rules 5–8 for one requester at one instant, in the form the store turns into SQL predicates applied
/// before paging and counting (DESIGN §2). <see cref="Matches"/> is the same predicate in memory: the store's
/// translation must agree with it.
/// </summary>
/// <param name="Types">Rule 5: the readable document types (see <see cref="DocumentTypeFilter"/>).</param>
/// <param name="SeesMaskedDocuments">Rule 6: the patient and the médecins traitants see every MASQUE_PS document.</param>
/// <param name="Author">
/// The requester's idNatPs: the author always sees their own deposit (CSP R1111-49), masked (rule 6) or of a type their
/// profession's matrix row does not list (rule 5).
/// </param>
/// <param name="InvisibleToPatientHiddenAfter">
/// Rule 7: INVISIBLE_PATIENT documents deposited after this instant are hidden; null when the label hides nothing
/// from this requester (professionals).
/// </param>
public sealed record DocumentFilter(
    DocumentTypeFilter Types,
    bool SeesMaskedDocuments,
    string? Author,
    DateTimeOffset? InvisibleToPatientHiddenAfter)
{
    /// <summary>For a denied decision: no document at all (hidden and absent look the same).</summary>
    public static readonly DocumentFilter Nothing = new(DocumentTypeFilter.None, false, null, null);

    /// <summary>A minor's legal representatives: INVISIBLE_REPRESENTANTS_LEGAUX documents are absent for them (issue 14).</summary>
    public bool HidesInvisibleToRepresentatives { get; init; }

    public bool Matches(DocumentFacts document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var ownDeposit = Author is not null && document.AuthorIdNatPs == Author;
        return (ownDeposit || Types.Permits(document.Types))
            && (!document.IsMasked || SeesMaskedDocuments || (Author is not null && document.AuthorIdNatPs == Author))
            && (!document.IsInvisibleToPatient || InvisibleToPatientHiddenAfter is null || document.Deposited <= InvisibleToPatientHiddenAfter)
            && !(HidesInvisibleToRepresentatives && document.IsInvisibleToRepresentatives);
    }
}
