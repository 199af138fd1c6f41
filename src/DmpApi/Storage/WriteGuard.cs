using Hl7.Fhir.Model;

namespace DmpApi.Storage;

/// <summary>
/// One write the store is about to make, described before anything is written, for the <see cref="IWriteGuard"/> to
/// decide on (DMP-RULES §3).
/// </summary>
/// <param name="ResourceType">The type written.</param>
/// <param name="PatientId">The record the write belongs to, when it belongs to one.</param>
/// <param name="Proposed">The new version, checked and completed by the type's rules; null for a delete.</param>
/// <param name="Current">The stored current version it replaces or deletes; null for a creation.</param>
/// <param name="Replaced">Documents the new one replaces (IHE MHD `relatesTo.code = replaces`).</param>
public sealed record WriteIntent(string ResourceType, string? PatientId, Resource? Proposed, ResourceRow? Current, IReadOnlyList<ResourceRow> Replaced)
{
    /// <summary>The version stored now, parsed from its row; null for a creation or a deleted version.</summary>
    public Resource? Stored => Current is { IsDeleted: false } row ? ResourceStore.ToStored(row).Resource : null;

    public bool OpensRecord => Current is null && Proposed is Patient;
}

/// <summary>What the guard settled besides allowing the write: access columns the row carries (DESIGN §5).</summary>
/// <param name="ConsentAudience">For a Consent: who, besides the patient, may read it (see <see cref="ResourceRow.ConsentAudience"/>).</param>
public sealed record WriteDecision(string? ConsentAudience = null)
{
    public static readonly WriteDecision Allowed = new();
}

/// <summary>
/// The write door: the store asks it about every version it writes and every delete, before any command that writes
/// (DMP-RULES §3). It throws the FHIR answer of a refusal (403, 405, 422); Access implements it, so that the rules live
/// in one place and the store knows none of them.
/// </summary>
public interface IWriteGuard
{
    /// <summary>Whether this request asked for a write decision; the structural tests check it precedes every write command.</summary>
    bool WriteDecided { get; }

    Task<WriteDecision> AuthorizeAsync(WriteIntent intent, CancellationToken ct);
}
