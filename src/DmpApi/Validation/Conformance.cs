using DmpApi.Fhir;
using Hl7.Fhir.Model;

namespace DmpApi.Validation;

/// <summary>
/// Validation on write (issue 13 item 4, docs/VALIDATION.md): a resource written conforms to its core R4 type and to each
/// profile of its meta.profile that the server supports, or the write answers 422 with the validator's issues and nothing
/// is written.
/// </summary>
public static class Conformance
{
    /// <summary>PDSm's Provide Document Bundle: declaring it makes its DocumentReferences and Lists PDSm's comprehensive ones.</summary>
    public const string ComprehensiveProvideDocumentBundle = PdsmCanonical + "PDSmComprehensiveProvideDocumentBundle";

    public const string ComprehensiveDocumentReference = PdsmCanonical + "pdsm-comprehensive-document-reference";
    public const string SubmissionSetComprehensive = PdsmCanonical + "PDSmSubmissionSetComprehensive";
    public const string FolderComprehensive = PdsmCanonical + "PDSmFolderComprehensive";
    public const string SimplifiedPublish = PdsmCanonical + "PDSm-SimplifiedPublish";

    private const string PdsmCanonical = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/";

    /// <summary>FR Core's Patient (a Patient is held to it only when its meta.profile declares it).</summary>
    public const string FrCorePatient = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient";

    /// <summary>422 unless <paramref name="resource"/> conforms (see the class summary); <paramref name="profile"/> is one more profile it must meet.</summary>
    public static void Require(Resource resource, string? profile = null)
    {
        var issues = Problems(resource, profile, where: null);
        if (issues.Count > 0)
        {
            throw Refusal($"The {resource.TypeName} does not conform to {Named(resource, profile)}:", issues);
        }
    }

    /// <summary>
    /// Every entry of a Provide Document Bundle (IHE MHD ITI-65) as received, before anything is written: one
    /// non-conformant entry refuses the whole Bundle. A Bundle declaring PDSm's comprehensive profile holds its
    /// DocumentReferences, SubmissionSet and Folders to PDSm's comprehensive profiles.
    /// </summary>
    public static void RequireEntries(Bundle bundle, Func<List, bool> isSubmissionSet)
    {
        var comprehensive = bundle.Meta?.Profile?.Any(p => p is not null && ProfileValidator.StripVersion(p) == ComprehensiveProvideDocumentBundle) == true;
        var issues = new List<OperationOutcome.IssueComponent>();
        foreach (var (entry, index) in bundle.Entry.Select((e, i) => (e, i)))
        {
            if (entry.Resource is not { } resource)
            {
                continue;
            }

            var implied = !comprehensive ? null : resource switch
            {
                DocumentReference => ComprehensiveDocumentReference,
                List list => isSubmissionSet(list) ? SubmissionSetComprehensive : FolderComprehensive,
                _ => null,
            };
            issues.AddRange(Problems(resource, implied, where: $"Bundle.entry[{index}].resource"));
        }

        if (issues.Count > 0)
        {
            throw Refusal("An entry of the Bundle does not conform to its profiles, nothing was written:", issues);
        }
    }

    /// <summary>The validator's issues when it finds an error (warnings travel with them, never alone).</summary>
    private static List<OperationOutcome.IssueComponent> Problems(Resource resource, string? profile, string? where)
    {
        var outcome = ProfileValidator.Instance.Validate(resource, profile);
        if (!outcome.Issue.Any(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal))
        {
            return [];
        }

        if (where is not null)
        {
            foreach (var issue in outcome.Issue)
            {
                // The validator names paths from the resource; within a Bundle they start at the entry.
                issue.Expression = issue.Expression.OfType<string>().Select(e => where + e[e.IndexOf('.') is var dot and >= 0 ? dot.. : e.Length..]).ToList();
                issue.Diagnostics = $"{where}: {issue.Diagnostics ?? issue.Details?.Text}";
            }
        }

        return outcome.Issue;
    }

    private static string Named(Resource resource, string? profile)
    {
        var declared = resource.Meta?.Profile?.OfType<string>().Select(ProfileValidator.StripVersion).Where(ProfileValidator.Instance.Supported.Contains) ?? [];
        var profiles = declared.Concat(profile is null ? [] : [profile]).Distinct().ToList();
        return profiles.Count == 0 ? $"the FHIR R4 {resource.TypeName}" : $"the FHIR R4 {resource.TypeName} and {string.Join(", ", profiles)}";
    }

    /// <summary>The first issue says what was refused and lists the errors in words; the validator's own issues follow it.</summary>
    private static FhirException Refusal(string diagnostics, IReadOnlyList<OperationOutcome.IssueComponent> issues)
    {
        var errors = issues.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
            .Select(i => $"{i.Details?.Text ?? i.Diagnostics} ({string.Join(", ", i.Expression)})");
        return new(System.Net.HttpStatusCode.UnprocessableEntity, OperationOutcome.IssueType.Processing, $"{diagnostics} {string.Join("; ", errors)}", issues);
    }
}
