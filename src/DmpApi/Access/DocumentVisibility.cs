using DmpApi.Auth;

namespace DmpApi.Access;

/// <summary>
/// Which documents of a record an allowed requester sees (DMP-RULES §2 rules 5–8): the habilitation matrix, MASQUE_PS,
/// INVISIBLE_PATIENT. A hidden document looks absent (404, missing from searches). Allergies are not filtered here.
/// </summary>
public sealed class DocumentVisibility(HabilitationMatrix matrix)
{
    /// <summary>CSP R1111-53: an INVISIBLE_PATIENT document shows to the patient one month after its deposit at the latest.</summary>
    public const int InvisibleToPatientMonths = 1;

    /// <summary>The filter of one requester at one instant; <see cref="DocumentFilter.Nothing"/> when the decision is a denial.</summary>
    public DocumentFilter FilterFor(Requester requester, AccessDecision decision, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(requester);
        ArgumentNullException.ThrowIfNull(decision);
        if (!decision.IsAllowed)
        {
            return DocumentFilter.Nothing;
        }

        return (requester.Kind, decision.Mode) switch
        {
            // DMP-RULES §2 rule 8: the patient reads everything in their record, masked included, except rule 7.
            (RequesterKind.Patient, AccessMode.Patient) => new DocumentFilter(
                DocumentTypeFilter.Any,
                SeesMaskedDocuments: true,
                Author: null,
                InvisibleToPatientHiddenAfter: now.ToUniversalTime().AddMonths(-InvisibleToPatientMonths)),

            // Issue 14: a minor's representative sees what the patient sees, minus INVISIBLE_REPRESENTANTS_LEGAUX.
            (RequesterKind.Representative, AccessMode.Representative) => new DocumentFilter(
                DocumentTypeFilter.Any,
                SeesMaskedDocuments: true,
                Author: null,
                InvisibleToPatientHiddenAfter: now.ToUniversalTime().AddMonths(-InvisibleToPatientMonths))
            {
                HidesInvisibleToRepresentatives = true,
            },

            // Rules 5–6: the matrix row of the profession; MASQUE_PS only for the médecins traitants and the document's
            // author (CSP L1111-16, R1111-49), in every mode: an emergency does not unmask.
            (RequesterKind.Professional, not AccessMode.Patient) when requester.IdNatPs is { Length: > 0 } idNatPs => new DocumentFilter(
                matrix.ReadableTypes(requester.Profession),
                SeesMaskedDocuments: decision.IsTreatingDoctor,
                Author: idNatPs,
                InvisibleToPatientHiddenAfter: null),

            // A decision that does not fit its requester shows nothing rather than guessing.
            _ => DocumentFilter.Nothing,
        };
    }

    /// <summary>Whether the requester sees this document: the in-memory form of <see cref="FilterFor"/>, for reads and the re-check on the way out.</summary>
    public bool CanSee(Requester requester, AccessDecision decision, DocumentFacts facts, DateTimeOffset now) =>
        FilterFor(requester, decision, now).Matches(facts);
}
