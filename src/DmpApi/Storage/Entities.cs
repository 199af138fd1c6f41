namespace DmpApi.Storage;

/// <summary>One version of one FHIR resource (DESIGN §5): the JSON is kept compressed, the rest is for lookups.</summary>
public sealed class ResourceRow
{
    public long Id { get; set; }
    public required string ResourceType { get; set; }
    public required string LogicalId { get; set; }
    public int VersionId { get; set; }
    /// <summary>True on the newest version only; searches and reads of the current state filter on it.</summary>
    public bool IsCurrent { get; set; }
    /// <summary>A logical delete is a new version with this flag set (FHIR: later reads answer 410).</summary>
    public bool IsDeleted { get; set; }
    public DateTime LastUpdated { get; set; }
    /// <summary>The logical id of the Patient whose record holds this resource: the partition key of every query.</summary>
    public string? PatientId { get; set; }
    public required byte[] Data { get; set; }

    // Access columns of a DocumentReference (DESIGN §5), so that DMP-RULES §2 rules 6–7 are SQL predicates.

    /// <summary>The depositing professional as the token named them (DMP-RULES §3), kept across versions.</summary>
    public string? DepositorIdNatPs { get; set; }

    /// <summary>When version 1 was deposited, kept across versions (INVISIBLE_PATIENT's one month runs from it).</summary>
    public DateTime? DepositedAt { get; set; }

    /// <summary>MASQUE_PS on this version (CSP L1111-16).</summary>
    public bool IsMasked { get; set; }

    /// <summary>INVISIBLE_PATIENT on this version (CSP R1111-53).</summary>
    public bool IsInvisibleToPatient { get; set; }

    /// <summary>
    /// Access column of a Consent, kept across versions: the idNatPs of the professional it names, or <c>*</c> for a
    /// record-wide opposition. A professional reads only the Consents that concern them (DMP-RULES §3); null: none does.
    /// </summary>
    public string? ConsentAudience { get; set; }
}

/// <summary>Search index rows share this shape: which resource version, which parameter.</summary>
public abstract class SearchIndexRow
{
    public long Id { get; set; }
    public long ResourceRowId { get; set; }
    public required string ResourceType { get; set; }
    public required string ParamName { get; set; }
    public string? PatientId { get; set; }

    /// <summary>Set when written together with its resource row, so both land in one SaveChanges.</summary>
    public ResourceRow? Resource { get; set; }
}

/// <summary>Token parameters (code, Coding, Identifier, boolean, uri): system|code.</summary>
public sealed class TokenIndexRow : SearchIndexRow
{
    public string? System { get; set; }
    public string? Code { get; set; }
}

/// <summary>String parameters: Normalized is lower-cased without accents (FHIR default match), Exact as written.</summary>
public sealed class StringIndexRow : SearchIndexRow
{
    public required string Normalized { get; set; }
    public required string Exact { get; set; }
}

/// <summary>Date parameters as the UTC interval [Start, End] they cover, in ticks (FHIR date precision semantics).</summary>
public sealed class DateIndexRow : SearchIndexRow
{
    public long Start { get; set; }
    public long End { get; set; }
}

/// <summary>Reference parameters, resolved to type and logical id.</summary>
public sealed class ReferenceIndexRow : SearchIndexRow
{
    public required string TargetType { get; set; }
    public required string TargetId { get; set; }
}

/// <summary>One row per INS: the database itself guarantees one Patient per national identifier (DMP-RULES §1).</summary>
public sealed class PatientIdentityRow
{
    public required string System { get; set; }
    public required string Value { get; set; }
    public required string PatientId { get; set; }
}

/// <summary>
/// One row per document uniqueId (DocumentReference.masterIdentifier, IHE XDS/MHD): the database itself refuses a second
/// document with the same one (XDSDuplicateUniqueIdInRegistry), on every instance at once. Kept when the document is deleted.
/// </summary>
public sealed class DocumentUniqueIdRow
{
    /// <summary>The identifier's system, empty when it has none.</summary>
    public required string System { get; set; }
    public required string Value { get; set; }
    public required string DocumentId { get; set; }
    public required string PatientId { get; set; }
}

/// <summary>Document content moved out of DocumentReference.content.attachment.data (DESIGN §4).</summary>
public sealed class BinaryRow
{
    public required string LogicalId { get; set; }
    public required string PatientId { get; set; }
    /// <summary>The DocumentReference whose content this is: reading the Binary is reading that document.</summary>
    public required string DocumentId { get; set; }
    public required string ContentType { get; set; }
    public required byte[] Content { get; set; }
    public DateTime LastUpdated { get; set; }
}
