using Hl7.Fhir.Model;

namespace DmpApi.Fhir;

/// <summary>
/// What a request disclosed or wrote, told by the floors that know it (a FHIR answer, the access decision) to whoever
/// keeps the trace: the audit trail sets one per audited request (DMP-RULES §4). Absent outside the audited paths.
/// </summary>
public interface IRequestTrace
{
    /// <summary>The record the request was about, when the access layer or the endpoint decided it; wins over what the body shows.</summary>
    string? PatientId { get; set; }

    /// <summary>Notes a returned or written resource; a Bundle counts as each of its entries.</summary>
    void Returned(Resource? resource);

    /// <summary>Notes a resource returned without its model (stored JSON, a Binary's bytes).</summary>
    void Returned(string resourceType, string id, string? patientId = null);
}

public static class RequestTraceExtensions
{
    public static IRequestTrace? RequestTrace(this HttpContext context) => context.Features.Get<IRequestTrace>();
}
