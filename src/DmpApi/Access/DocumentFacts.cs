using Hl7.Fhir.Model;

namespace DmpApi.Access;

/// <summary>
/// What DMP-RULES §2 rules 5–8 look at on one document; the store keeps the same facts as access columns (DESIGN §5).
/// The author is the depositor recorded by the server from the token, not whatever the body names (DMP-RULES §3).
/// </summary>
public sealed record DocumentFacts(
    IReadOnlyList<QualifiedCode> Types,
    IReadOnlySet<QualifiedCode> SecurityLabels,
    string? AuthorIdNatPs,
    DateTimeOffset Deposited)
{
    /// <summary>MASQUE_PS: masked by the patient (CSP L1111-16).</summary>
    public bool IsMasked => SecurityLabels.Contains(DmpCodes.Masked);

    /// <summary>INVISIBLE_PATIENT: pending an announcement consultation (CSP R1111-53).</summary>
    public bool IsInvisibleToPatient => SecurityLabels.Contains(DmpCodes.InvisibleToPatient);

    /// <summary>INVISIBLE_REPRESENTANTS_LEGAUX: kept from a minor's legal representatives (CSP L1111-5).</summary>
    public bool IsInvisibleToRepresentatives => SecurityLabels.Contains(DmpCodes.InvisibleToRepresentatives);

    public static DocumentFacts From(DocumentReference document, string? authorIdNatPs, DateTimeOffset deposited)
    {
        ArgumentNullException.ThrowIfNull(document);
        return new DocumentFacts(
            QualifiedCode.From(document.Type).Distinct().ToList(),
            document.SecurityLabel.SelectMany(label => QualifiedCode.From(label)).ToHashSet(),
            string.IsNullOrWhiteSpace(authorIdNatPs) ? null : authorIdNatPs.Trim(),
            deposited);
    }
}
