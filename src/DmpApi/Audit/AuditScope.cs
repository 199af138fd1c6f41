using DmpApi.Fhir;
using DmpApi.Search;
using Hl7.Fhir.Model;

namespace DmpApi.Audit;

/// <summary>
/// What one request disclosed or wrote, for its audit record (DMP-RULES §4: "what: each resource returned"). Set as a
/// request feature by <see cref="AuditMiddleware"/>; <see cref="FhirResult"/> fills it through <see cref="IRequestTrace"/> from the body it writes, and the access
/// layer or an endpoint names the patient when it knows it better than the body does.
/// </summary>
public sealed class AuditScope : IRequestTrace
{
    private readonly List<string> _resources = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly HashSet<string> _patients = new(StringComparer.Ordinal);

    /// <summary>The record the request was about, when the access layer or the endpoint decided it; wins over what the body shows.</summary>
    public string? PatientId { get; set; }

    /// <summary>"Type/id" of each resource returned or written, in order, once each.</summary>
    public IReadOnlyList<string> Resources => _resources;

    /// <summary>The one record the returned resources belong to; null when they name none or several.</summary>
    public string? ReturnedPatientId => _patients.Count == 1 ? _patients.First() : null;

    /// <summary>True when the returned resources belong to more than one record.</summary>
    public bool SpansSeveralPatients => _patients.Count > 1;

    /// <summary>Notes a returned or written resource; a Bundle counts as each of its entries (matches and includes).</summary>
    public void Returned(Resource? resource)
    {
        switch (resource)
        {
            case null or OperationOutcome:
                return;
            case Bundle bundle:
                foreach (var entry in bundle.Entry)
                {
                    Returned(entry.Resource);
                }

                return;
        }

        if (string.IsNullOrEmpty(resource.Id))
        {
            return;
        }

        var reference = $"{resource.TypeName}/{resource.Id}";
        if (_seen.Add(reference))
        {
            _resources.Add(reference);
        }

        if (PatientOf(resource) is { } patientId)
        {
            _patients.Add(patientId);
        }
    }

    /// <summary>Notes a resource known by type and id only (e.g. raw document content).</summary>
    public void Returned(string resourceType, string id, string? patientId = null)
    {
        var reference = $"{resourceType}/{id}";
        if (_seen.Add(reference))
        {
            _resources.Add(reference);
        }

        if (patientId is not null)
        {
            _patients.Add(patientId);
        }
    }

    /// <summary>The record a resource belongs to, read from its body (DESIGN §1: every clinical resource belongs to one patient).</summary>
    public static string? PatientOf(Resource resource) => resource switch
    {
        Patient patient => patient.Id,
        DocumentReference document => PatientIn(document.Subject),
        AllergyIntolerance allergy => PatientIn(allergy.Patient),
        Consent consent => PatientIn(consent.Patient),
        Condition condition => PatientIn(condition.Subject),
        MedicationStatement statement => PatientIn(statement.Subject),
        Immunization immunization => PatientIn(immunization.Patient),
        Observation observation => PatientIn(observation.Subject),
        Communication communication => PatientIn(communication.Subject),
        AuditEvent audit => PatientIn(audit.Entity.FirstOrDefault(AuditEventMapping.IsPatientEntity)?.What),
        _ => null,
    };

    private static string? PatientIn(ResourceReference? reference) =>
        reference?.Reference is { } literal && SearchIndexer.ParseReference(literal) is ("Patient", var id) ? id : null;
}

public static class AuditScopeExtensions
{
    /// <summary>This request's audit scope; null outside the audited paths (e.g. /fhir/metadata).</summary>
    public static AuditScope? AuditScope(this HttpContext context) => context.Features.Get<AuditScope>();
}
