using System.Net;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Fhir;

/// <summary>The one place where exceptions become OperationOutcomes: client mistakes are 4xx, never 500.</summary>
internal sealed class FhirExceptionHandler(ILogger<FhirExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, outcome) = exception switch
        {
            FhirException fhir => (fhir.Status, fhir.Outcome),
            BadHttpRequestException bad when bad.StatusCode == StatusCodes.Status413PayloadTooLarge =>
                (HttpStatusCode.RequestEntityTooLarge, Outcomes.Build(OperationOutcome.IssueType.TooLong, "The request body is larger than the configured limit.")),
            BadHttpRequestException bad =>
                ((HttpStatusCode)bad.StatusCode, Outcomes.Build(OperationOutcome.IssueType.Invalid, bad.Message)),
            // A form body ASP.NET Core cannot read (a NUL character, too many values): the client's input.
            InvalidDataException form =>
                (HttpStatusCode.BadRequest, Outcomes.Build(OperationOutcome.IssueType.Invalid, $"The form body cannot be read: {form.Message}")),
            DeserializationFailedException parse =>
                (HttpStatusCode.BadRequest, Outcomes.Build(OperationOutcome.IssueType.Structure, parse.Message)),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested =>
                ((HttpStatusCode)499, Outcomes.Build(OperationOutcome.IssueType.Incomplete, "The client closed the request.")),
            // Backstop for text a database refuses (PostgreSQL 22021: a NUL byte): the client's input, so 400.
            Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.CharacterNotInRepertoire } or DbUpdateException { InnerException: Npgsql.PostgresException { SqlState: Npgsql.PostgresErrorCodes.CharacterNotInRepertoire } } =>
                (HttpStatusCode.BadRequest, Outcomes.Build(OperationOutcome.IssueType.Value, "The request holds characters the record cannot store.")),
            _ when Storage.DatabaseUnavailable.Matches(exception) =>
                (HttpStatusCode.ServiceUnavailable, Outcomes.Build(OperationOutcome.IssueType.Transient, "The database did not answer in time; retry later.")),
            _ => (HttpStatusCode.InternalServerError, Outcomes.Build(OperationOutcome.IssueType.Exception,
                $"An unexpected error occurred; it has been logged under request id {httpContext.TraceIdentifier} (X-Request-Id): quote it to the operator.")),
        };

        if (status == HttpStatusCode.InternalServerError)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path} ({RequestId})", httpContext.Request.Method, httpContext.Request.Path, httpContext.TraceIdentifier);
        }
        else
        {
            logger.LogDebug("Request {RequestId} answered {Status}: {Diagnostics}", httpContext.TraceIdentifier, (int)status, exception.Message);
        }

        if (status == HttpStatusCode.ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "5";
        }

        await WriteAsync(httpContext, status, outcome);
        return true;
    }

    /// <summary>Writes an OperationOutcome in the client's format, falling back to Accept when `_format` itself was the problem.</summary>
    internal static async Task WriteAsync(HttpContext httpContext, HttpStatusCode status, OperationOutcome outcome)
    {
        FhirFormat format;
        try
        {
            format = FhirWire.ResponseFormat(httpContext.Request);
        }
        catch (FhirException)
        {
            format = FhirWire.AcceptedFormat(httpContext.Request);
        }

        var response = httpContext.Response;
        response.StatusCode = (int)status;
        byte[] body;
        try
        {
            body = FhirWire.Serialize(outcome, format);
        }
        catch (ArgumentException) when (format != FhirFormat.Json)
        {
            // XML cannot carry some characters a client sent (e.g. U+FFFF echoed in the diagnostics): JSON can.
            format = FhirFormat.Json;
            body = FhirWire.Serialize(outcome, format);
        }

        response.ContentType = FhirWire.MediaType(format) + "; charset=utf-8";
        await response.Body.WriteAsync(body, httpContext.RequestAborted);
    }
}
