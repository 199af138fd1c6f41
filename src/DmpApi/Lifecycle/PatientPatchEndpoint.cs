using System.Net;
using DmpApi.Access;
using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Storage;
using Hl7.Fhir.Model;

namespace DmpApi.Lifecycle;

/// <summary>
/// PATCH on a Patient (FHIR R4 §3.1.0.6), FHIRPath Patch or JSON Patch as for a DocumentReference (<see cref="FhirPatchBody"/>):
/// how a death feed records a death without reading the record (issue 14), and how the holder, a representative or a
/// professional changes what they may already change by PUT. The patched Patient goes through the one write door and is
/// judged by <see cref="ResourceWriteRules.Patient"/> as a PUT would be; If-Match is honoured, and without it the patch
/// applies to the version current in its transaction.
/// </summary>
public static class PatientPatchEndpoint
{
    public static RouteGroupBuilder MapPatientPatch(this RouteGroupBuilder patients)
    {
        patients.MapPatch("/{id}", PatchAsync)
            .WithName("PatchPatient")
            .WithSummary("Change a Patient by FHIRPath Patch or JSON Patch: a death feed records a death; the holder closes or reopens the record")
            .RequireScope("Patient", FhirInteraction.Patch);
        return patients;
    }

    private static async Task<IResult> PatchAsync(string id, HttpContext http, ResourceStore store, CancellationToken ct)
    {
        var patch = await FhirPatchBody.ReadAsync(http.Request, ct);
        var scope = http.GetAccessScope();
        if (scope.Requester.Kind == RequesterKind.System)
        {
            // A system reads nothing (DMP-RULES §2): its patch sees only what a death feed sets, and the answer does not
            // carry the Patient (an OperationOutcome, or nothing with Prefer: return=minimal).
            var recorded = await store.PatchAsync(scope, "Patient", id, stored => DeathFeedView.Patch((Patient)stored, patch),
                http.Request.IfMatchVersion(), http.Request.BaseUrl(), ct);
            return FhirResult.Written(http, HttpStatusCode.OK, recorded, $"Patient/{id} updated to version {recorded.Version}.", revealsResource: false);
        }

        // Everyone else patches what they read: the record is decided first (403), a Patient they may not see is absent.
        var current = await store.ReadAsync(await scope.ReadPredicateAsync("Patient", id, ct), "Patient", id, ct) ?? throw FhirException.NotFound("Patient", id);
        if (current.IsDeleted)
        {
            throw FhirRequest.Gone("Patient", id);
        }

        var stored = await store.PatchAsync(scope, "Patient", id, patch, http.Request.IfMatchVersion(), http.Request.BaseUrl(), ct);
        return FhirResult.Written(http, HttpStatusCode.OK, stored, $"Patient updated to version {stored.Version}.");
    }
}
