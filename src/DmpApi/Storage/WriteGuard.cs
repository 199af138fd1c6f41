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

/// <summary>
/// The requester as a writer: the professional's idNatPs (null for a patient), the client id of a system (the Assurance
/// Maladie feed), and the display name for `author`/`recorder`.
/// </summary>
public sealed record Writer(string? IdNatPs, string? Name, string? SystemClientId = null)
{
    /// <summary>What a row records as its depositor: the idNatPs, or <c>system:</c> and the client id (never all digits, so never an idNatPs).</summary>
    public string? Depositor => IdNatPs ?? (SystemClientId is { } client ? SystemDepositorPrefix + client : null);

    public const string SystemDepositorPrefix = "system:";
}

/// <summary>The guard's answer when it allows a write (a refusal is thrown); passed by callers whose write follows from one already allowed.</summary>
public sealed record WriteDecision
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

/// <summary>
/// The requester's access to records, as the store needs it (DESIGN §2): defined here so that the store knows no access
/// rule, implemented by Access (<c>AccessScope</c>). Every read and write method of the store takes one first.
/// </summary>
public interface IRecordAccess : IWriteGuard
{
    /// <summary>Who writes, as the store records it on the rows (a document's author, an allergy's recorder).</summary>
    Writer Writer { get; }

    /// <summary>403 when the record is denied to the requester; false when no such record exists.</summary>
    Task<bool> RequireReadAsync(string patientId, CancellationToken ct);

    /// <summary>
    /// Whether a current, not deleted Patient has this id, read as the record's write decision reads it (its stamp, then
    /// its directives): a write that names the record learns it exists from the statement its decision needs anyway.
    /// </summary>
    Task<bool> RecordExistsAsync(string patientId, CancellationToken ct);

    /// <summary>Fills the access columns of a row that follow from the resource's content (DESIGN §5): a document's labels, a Consent's audience.</summary>
    void DescribeAccess(ResourceRow row, Resource resource);

    /// <summary>The permit the requester receives by opening a record with the patient present (DMP-RULES §3); null for the patient.</summary>
    Consent? OpeningPermit(string patientId, DateTime now);

    /// <summary>Forgets what was read of a record whose Patient or Consents this request changes.</summary>
    void Invalidate(string patientId);
}
