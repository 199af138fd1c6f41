using System.Net;
using Hl7.Fhir.Model;

namespace DmpApi.Fhir;

/// <summary>An expected failure that becomes an OperationOutcome with this status (mapped in one place: <see cref="FhirExceptionHandler"/>).</summary>
public sealed class FhirException(HttpStatusCode status, OperationOutcome.IssueType code, string diagnostics, IEnumerable<OperationOutcome.IssueComponent>? moreIssues = null)
    : Exception(diagnostics)
{
    public HttpStatusCode Status { get; } = status;

    public OperationOutcome Outcome { get; } = Outcomes.Build(code, diagnostics, moreIssues);

    public static FhirException NotFound(string type, string id) =>
        new(HttpStatusCode.NotFound, OperationOutcome.IssueType.NotFound, $"{type}/{id} is not known.");

    public static FhirException BadRequest(string diagnostics, OperationOutcome.IssueType code = OperationOutcome.IssueType.Invalid) =>
        new(HttpStatusCode.BadRequest, code, diagnostics);

    public static FhirException Unprocessable(string diagnostics, OperationOutcome.IssueType code = OperationOutcome.IssueType.BusinessRule) =>
        new(HttpStatusCode.UnprocessableEntity, code, diagnostics);
}

/// <summary>OperationOutcome builders: every error the API emits has a precise issue code and a human diagnostics.</summary>
public static class Outcomes
{
    public static OperationOutcome Build(OperationOutcome.IssueType code, string diagnostics, IEnumerable<OperationOutcome.IssueComponent>? moreIssues = null)
    {
        var outcome = new OperationOutcome();
        outcome.Issue.Add(Issue(code, diagnostics, OperationOutcome.IssueSeverity.Error));
        if (moreIssues is not null)
        {
            outcome.Issue.AddRange(moreIssues);
        }

        return outcome;
    }

    public static OperationOutcome.IssueComponent Issue(OperationOutcome.IssueType code, string diagnostics, OperationOutcome.IssueSeverity severity, string? location = null)
    {
        var issue = new OperationOutcome.IssueComponent { Severity = severity, Code = code, Diagnostics = diagnostics };
        if (location is not null)
        {
            issue.Expression = [location];
        }

        return issue;
    }

    public static OperationOutcome Information(string diagnostics)
    {
        var outcome = new OperationOutcome();
        outcome.Issue.Add(Issue(OperationOutcome.IssueType.Informational, diagnostics, OperationOutcome.IssueSeverity.Information));
        return outcome;
    }
}
