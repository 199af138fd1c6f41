namespace DmpApi.Audit;

/// <summary>
/// One access to the record, allowed or denied (DMP-RULES §4): who, why, what, when, and how it ended. Append-only:
/// rows are inserted by <see cref="AuditWriter"/> and never updated or deleted by the application.
/// </summary>
public sealed class AuditRecord
{
    /// <summary>Requester kind of a request that carried no valid token (401).</summary>
    public const string Anonymous = "anonymous";

    public long Id { get; set; }

    /// <summary>When the answer was decided, UTC.</summary>
    public DateTime RecordedAt { get; set; }

    /// <summary>The record the access was about: the partition key, null when the request named none (e.g. a 401 on an unknown path).</summary>
    public string? PatientId { get; set; }

    /// <summary>Professional, Patient or <see cref="Anonymous"/>.</summary>
    public required string RequesterKind { get; set; }

    /// <summary>The token's subject, or <see cref="Anonymous"/>.</summary>
    public required string Subject { get; set; }

    public string? IdNatPs { get; set; }
    public string? Ins { get; set; }
    public string? Name { get; set; }

    /// <summary>TRE_G15 profession code.</summary>
    public string? Profession { get; set; }

    /// <summary>v3-ActReason code: TREAT, BTG or ETREAT.</summary>
    public string? PurposeOfUse { get; set; }

    /// <summary>The requester's justification of the access mode (a bris de glace's reason), truncated to <see cref="AuditRecordConfiguration.ReasonLength"/>.</summary>
    public string? PurposeOfUseReason { get; set; }

    /// <summary>The FHIR restful-interaction code (read, vread, history-instance, search-type, create, update, delete), or "operation".</summary>
    public required string Interaction { get; set; }

    public required string Method { get; set; }

    /// <summary>
    /// Path and query string as received, with the form parameters of a POST _search appended to the query
    /// (truncated to <see cref="AuditRecordConfiguration.PathLength"/>).
    /// </summary>
    public required string Path { get; set; }

    /// <summary>The resource type in the URL (e.g. DocumentReference, Binary).</summary>
    public string? ResourceType { get; set; }

    /// <summary>Each resource returned or written, as "Type/id" separated by spaces (ids never hold spaces); null when none.</summary>
    public string? ResourceIds { get; set; }

    public int HttpStatus { get; set; }

    /// <summary>BALP / AuditEvent.outcome: 0 success, 4 minor failure (denied, 4xx), 8 serious failure (5xx).</summary>
    public int Outcome { get; set; }

    public string? ClientAddress { get; set; }

    /// <summary>HttpContext.TraceIdentifier: ties the trace to the server's logs.</summary>
    public required string RequestId { get; set; }

    /// <summary>The writer's chain the record belongs to (<see cref="AuditChainHead"/>); null only on records written before the chain existed.</summary>
    public Guid? ChainId { get; set; }

    /// <summary>Position in its chain: 1, 2, 3… with no gap (see <see cref="AuditChain"/>); null only on records written before the chain existed.</summary>
    public long? Sequence { get; set; }

    /// <summary>SHA-256 (hex) of this record's fields, its sequence and the previous record's hash in its chain (see <see cref="AuditChain"/>).</summary>
    public string? Hash { get; set; }

    /// <summary>
    /// The professional asked that this trace be kept from a minor's legal representatives (issue 14): the AuditEvent
    /// carries INVISIBLE_REPRESENTANTS_LEGAUX in meta.security and representatives never see it.
    /// </summary>
    public bool HiddenFromRepresentatives { get; set; }

    public IEnumerable<string> Resources =>
        ResourceIds?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
}
