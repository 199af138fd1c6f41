using DmpApi.Fhir;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Patients;

/// <summary>Resolves the patient a clinical resource belongs to: every clinical row belongs to one record (DESIGN §1).</summary>
public static class PatientReferences
{
    /// <summary>
    /// Accepts `Patient/{id}` (relative or absolute) or a logical reference by INS identifier, which is rewritten
    /// to the literal reference; 422 when the patient is missing or unknown. Whether `Patient/{id}` exists is asked of the
    /// writer's access scope: the record's write decision reads the same rows right after (one statement fewer per write).
    /// </summary>
    public static async Task<string> ResolveAsync(PendingWrite write, ResourceReference? reference, string path, CancellationToken ct)
    {
        if (reference is null)
        {
            throw FhirException.Unprocessable($"{path} is required: every resource belongs to a patient's record.", OperationOutcome.IssueType.Required);
        }

        string? patientId = null;
        if (reference.Reference is { } literal)
        {
            if (FhirReferences.Parse(literal) is ("Patient", var id))
            {
                patientId = await write.Scope.RecordExistsAsync(id, ct) ? id : null;
            }
        }
        else if (reference.Identifier is { System: { } system, Value: { } value })
        {
            var ins = Ins.Normalize(value);
            patientId = await write.Db.PatientIdentities.AsNoTracking()
                .Where(p => p.System == system && p.Value == ins).Select(p => p.PatientId).FirstOrDefaultAsync(ct);
        }

        if (patientId is null)
        {
            throw FhirException.Unprocessable($"{path} does not name a known Patient (use Patient/{{id}} or the patient's INS identifier).",
                OperationOutcome.IssueType.NotFound);
        }

        reference.Reference = $"Patient/{patientId}";
        return patientId;
    }

    /// <summary>The one record a `patient` search value names (`Patient/{id}` or `{id}`); 400 otherwise.</summary>
    public static string IdOf(string value)
    {
        var trimmed = value.Trim();
        if (FhirReferences.Parse(trimmed) is var (type, id))
        {
            return type == "Patient" ? id : throw FhirException.BadRequest($"patient must name a Patient; got '{value}'.");
        }

        return trimmed.Length is > 0 and <= 64 && !trimmed.Contains('/') && !trimmed.Contains(',')
            ? trimmed
            : throw FhirException.BadRequest($"patient must be Patient/{{id}} or {{id}}, one record; got '{value}'.");
    }
}
