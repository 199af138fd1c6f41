using DmpApi.Fhir;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Patients;

/// <summary>AllergyIntolerance.patient: an allergy belongs to one record.</summary>
internal sealed class AllergyIntoleranceRules : IResourceRules
{
    public string ResourceType => "AllergyIntolerance";

    public Task<string> PrepareAsync(Resource resource, PendingWrite write, CancellationToken cancellationToken)
    {
        var allergy = (AllergyIntolerance)resource;
        if (write.Previous is null && allergy.Recorder is null && write.Scope.Writer.IdNatPs is not null)
        {
            // As a document's author (DMP-RULES §3): the recorder is the professional of the token; the store keeps it in a row column.
            allergy.Recorder = Recorders.Of(write.Scope.Writer);
        }

        return PatientReferences.ResolveAsync(write, allergy.Patient, "AllergyIntolerance.patient", cancellationToken);
    }
}

/// <summary>Consent.patient: a consent decision belongs to one record (IHE PCF).</summary>
internal sealed class ConsentRules : IResourceRules
{
    public string ResourceType => "Consent";

    public Task<string> PrepareAsync(Resource resource, PendingWrite write, CancellationToken cancellationToken) =>
        PatientReferences.ResolveAsync(write, ((Consent)resource).Patient, "Consent.patient", cancellationToken);
}

/// <summary>
/// RelatedPerson.patient: a minor's legal representative (issue 14), named by their INS-NIR, with a v3-RoleCode
/// relationship (mother, father, parent, guardian); two active ones per record at most, also when several instances add
/// them at once.
/// </summary>
internal sealed class RelatedPersonRules : IResourceRules
{
    public string ResourceType => "RelatedPerson";

    public async Task<string> PrepareAsync(Resource resource, PendingWrite write, CancellationToken cancellationToken)
    {
        var related = (RelatedPerson)resource;
        var patientId = await PatientReferences.ResolveAsync(write, related.Patient, "RelatedPerson.patient", cancellationToken);
        if (!related.Identifier.Any(i => i.System == Auth.Requester.RepresentativeIdSystem && !string.IsNullOrWhiteSpace(i.Value)))
        {
            throw FhirException.Unprocessable(
                $"A legal representative is named by their INS-NIR: add an identifier with system {Auth.Requester.RepresentativeIdSystem}.",
                OperationOutcome.IssueType.Required);
        }

        if (!related.Relationship.SelectMany(r => r.Coding).Any(c => c.System == MinorRecord.RoleCodeSystem && c.Code is { } code && MinorRecord.RepresentativeRoles.Contains(code)))
        {
            throw FhirException.Unprocessable(
                $"RelatedPerson.relationship must say which legal representative this is: {MinorRecord.RoleCodeSystem} "
                + string.Join(", ", MinorRecord.RepresentativeRoles) + ".", OperationOutcome.IssueType.Value);
        }

        if (related.Active != false)
        {
            // Two writers on two instances would each count the other's representative out: the record is locked first.
            await RecordLock.TakeAsync(write.Db, patientId, cancellationToken);
            var others = await write.Db.Resources.AsNoTracking()
                .Where(r => r.PatientId == patientId && r.ResourceType == "RelatedPerson" && r.IsCurrent && !r.IsDeleted && r.LogicalId != write.ResourceId)
                .ToListAsync(cancellationToken);
            if (others.Count(r => ResourceStore.ToStored(r).Resource is RelatedPerson { Active: not false }) >= MinorRecord.MaxRepresentatives)
            {
                throw FhirException.Unprocessable(
                    $"A record has {MinorRecord.MaxRepresentatives} legal representatives at most: end one (active = false, or delete it) before adding another.",
                    OperationOutcome.IssueType.BusinessRule);
            }
        }

        return patientId;
    }
}
