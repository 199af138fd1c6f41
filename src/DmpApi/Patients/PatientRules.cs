using DmpApi.Fhir;
using DmpApi.Storage;
using Hl7.Fhir.Model;

namespace DmpApi.Patients;

/// <summary>A Patient is the record itself, identified by its INS (DMP-RULES §1); one record per INS.</summary>
internal sealed class PatientRules : IResourceRules
{
    public string ResourceType => "Patient";

    public Task<string> PrepareAsync(Resource resource, PendingWrite write, CancellationToken cancellationToken)
    {
        var patient = (Patient)resource;
        var identities = new List<PatientIdentityRow>();
        foreach (var identifier in patient.Identifier.Where(i => i.System is not null && Ins.Systems.Contains(i.System)))
        {
            if (string.IsNullOrWhiteSpace(identifier.Value))
            {
                throw FhirException.Unprocessable($"Patient.identifier with system {identifier.System} has no value.", OperationOutcome.IssueType.Required);
            }

            identifier.Value = Ins.Normalize(identifier.Value);
            if (identifier.System == Ins.NirSystem && !Ins.TryValidateNir(identifier.Value, out var problem))
            {
                throw FhirException.Unprocessable(problem, OperationOutcome.IssueType.Value);
            }

            identities.Add(new PatientIdentityRow { System = identifier.System!, Value = identifier.Value, PatientId = write.ResourceId });
        }

        if (identities.Count == 0)
        {
            throw FhirException.Unprocessable(
                $"A DMP Patient is identified by its INS: add an identifier with system {Ins.NirSystem} (INS-NIR) or {Ins.NiaSystem} (INS-NIA).",
                OperationOutcome.IssueType.Required);
        }

        write.Identities = identities;
        RecordClosure.Apply(patient, write.Previous is { } previous ? ResourceStore.ToStored(previous).Resource as Patient : null, write.BaseUrl);
        return System.Threading.Tasks.Task.FromResult(write.ResourceId);
    }
}
