using System.Net;
using System.Runtime.ExceptionServices;
using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Search;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.IO;

namespace DmpApi.Audit;

/// <summary>
/// Exactly one audit record per /fhir request, allowed or denied (DMP-RULES §4), committed before any byte of the
/// response leaves (DESIGN §2). The response is buffered while the endpoint runs; once the record is durable the buffer
/// is sent. If the trail cannot be written, the answer is 503 and the buffer is dropped: nothing is disclosed.
/// </summary>
public sealed class AuditMiddleware(RequestDelegate next, AuditTrail trail, TimeProvider clock, ILogger<AuditMiddleware> logger)
{
    /// <summary>
    /// Issue 12: the response buffers come from a pool of 16 KB blocks (a MemoryStream grew by doubling, every request).
    /// What the pool keeps idle is bounded; a returned block is zeroed, so no answer's bytes linger in memory for the next.
    /// </summary>
    private static readonly RecyclableMemoryStreamManager Buffers = new(new RecyclableMemoryStreamManager.Options
    {
        BlockSize = 16 * 1024,
        LargeBufferMultiple = 1024 * 1024,
        MaximumBufferSize = 16 * 1024 * 1024,
        MaximumSmallPoolFreeBytes = 32 * 1024 * 1024,
        MaximumLargePoolFreeBytes = 64 * 1024 * 1024,
        ZeroOutBuffer = true,
    });

    public async Task InvokeAsync(HttpContext context)
    {
        if (!IsAudited(context.Request))
        {
            await next(context);
            return;
        }

        var audit = new AuditScope();
        context.Features.Set(audit);
        context.Features.Set<IRequestTrace>(audit); // how the floors below the audit trail report to it
        var response = context.Response;
        var original = response.Body;
        using var buffer = Buffers.GetStream();
        // Swapping the body also swaps IHttpResponseBodyFeature, so StartAsync/BodyWriter cannot reach the client either.
        response.Body = buffer;
        ExceptionDispatchInfo? unhandled = null;
        AuditTrailUnavailableException? unavailable = null;
        try
        {
            try
            {
                await next(context);
            }
            catch (Exception e)
            {
                // Errors thrown below (403, 404, 410, …) are mapped here by the same IExceptionHandler as everywhere else,
                // so that the trace holds the status the client gets and the OperationOutcome waits for the commit too.
                if (!await TryHandleAsync(context, e))
                {
                    unhandled = ExceptionDispatchInfo.Capture(e);
                    response.StatusCode = StatusCodes.Status500InternalServerError;
                }
            }

            var now = clock.GetUtcNow().UtcDateTime;
            // Millisecond precision: what every provider stores exactly, so that date searches and the row agree.
            var record = Build(context, audit, new DateTime(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, DateTimeKind.Utc));
            try
            {
                await trail.RecordAsync(record);
            }
            catch (AuditTrailUnavailableException e)
            {
                unavailable = e;
                logger.LogError(e, "Request {RequestId} ({Method} {Path}) answered 503: its audit record could not be committed",
                    context.TraceIdentifier, context.Request.Method, context.Request.Path);
            }
        }
        finally
        {
            response.Body = original;
        }

        if (unavailable is not null)
        {
            await WriteUnavailableAsync(context);
            return;
        }

        unhandled?.Throw();
        if (buffer.Length > 0 && !context.RequestAborted.IsCancellationRequested)
        {
            response.ContentLength ??= buffer.Length;
            foreach (var block in buffer.GetReadOnlySequence())
            {
                await original.WriteAsync(block, context.RequestAborted);
            }
        }
    }

    /// <summary>Every /fhir request but the CapabilityStatement, which discloses nothing about anyone.</summary>
    private static bool IsAudited(HttpRequest request) =>
        request.Path.StartsWithSegments("/fhir", StringComparison.OrdinalIgnoreCase, out var rest)
        && !rest.Equals("/metadata", StringComparison.OrdinalIgnoreCase);

    private async Task<bool> TryHandleAsync(HttpContext context, Exception error)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return false;
        }

        response.Clear(); // status, headers and whatever the endpoint had buffered
        var feature = new ExceptionHandlerFeature
        {
            Error = error,
            Path = context.Request.Path,
            Endpoint = context.GetEndpoint(),
            RouteValues = context.Request.RouteValues,
        };
        context.Features.Set<IExceptionHandlerFeature>(feature);
        context.Features.Set<IExceptionHandlerPathFeature>(feature);
        try
        {
            foreach (var handler in context.RequestServices.GetServices<IExceptionHandler>())
            {
                if (await handler.TryHandleAsync(context, error, context.RequestAborted))
                {
                    return true;
                }
            }
        }
        catch (Exception handlerError)
        {
            // The request is still traced (as a 500) and the original error goes on to the outer handler.
            logger.LogError(handlerError, "The exception handler failed on request {RequestId}", context.TraceIdentifier);
            response.Clear();
        }

        return false;
    }

    private static async Task WriteUnavailableAsync(HttpContext context)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }

        // Headers too (ETag, Location, Last-Modified): they would tell what the body held.
        context.Response.Clear();
        context.Response.Headers.RetryAfter = "5";
        await FhirExceptionHandler.WriteAsync(context, HttpStatusCode.ServiceUnavailable, Outcomes.Build(OperationOutcome.IssueType.Transient,
            "The access trace of this request could not be recorded, so nothing is disclosed (DMP: every access is traced); retry later."));
    }

    internal static AuditRecord Build(HttpContext context, AuditScope audit, DateTime now)
    {
        var request = context.Request;
        var requester = context.Features.Get<Requester>();
        var operation = context.GetEndpoint().FhirOperation();
        var status = context.Response.StatusCode;
        var path = request.Path.Value + Query(context);
        return new AuditRecord
        {
            RecordedAt = now,
            PatientId = audit.PatientId ?? audit.ReturnedPatientId ?? RequestedPatient(request, operation, audit),
            RequesterKind = requester?.Kind.ToString() ?? AuditRecord.Anonymous,
            Subject = Cut(requester?.Subject, 256) ?? AuditRecord.Anonymous,
            IdNatPs = Cut(requester?.IdNatPs, 64),
            Ins = Cut(requester?.Ins, 64),
            Name = Cut(requester?.Name, 256),
            Profession = requester?.Profession,
            PurposeOfUse = requester?.PurposeOfUse,
            PurposeOfUseReason = Cut(requester?.PurposeOfUseReason, AuditRecordConfiguration.ReasonLength),
            HiddenFromRepresentatives = requester?.TraceHiddenFromRepresentatives ?? false,
            // The restful-interaction code the endpoint declares (FhirOperation); a request no endpoint answered is an "operation".
            Interaction = operation?.Code ?? "operation",
            Method = Cut(request.Method, 16)!,
            Path = Cut(path, AuditRecordConfiguration.PathLength)!,
            ResourceType = operation?.ResourceType ?? RequestedType(request),
            ResourceIds = audit.Resources.Count == 0 ? null : Cut(string.Join(' ', audit.Resources), int.MaxValue),
            HttpStatus = status,
            Outcome = status switch { < 400 => 0, < 500 => 4, _ => 8 },
            ClientAddress = context.Connection.RemoteIpAddress?.ToString(),
            RequestId = Cut(context.TraceIdentifier, 128)!,
        };
    }

    /// <summary>The query string, plus the form parameters of a POST _search (the search is in the body there).</summary>
    private static string Query(HttpContext context)
    {
        var query = context.Request.QueryString;
        if (context.Features.Get<IFormFeature>()?.Form is { Count: > 0 } form)
        {
            query = query.Add(QueryString.Create(form.SelectMany(f => f.Value.Select(v => new KeyValuePair<string, string?>(f.Key, v)))));
        }

        return WithoutTokens(query.Value ?? string.Empty);
    }

    /// <summary>A token sent in the URL is refused (401) and never written down: its value is replaced in the trace.</summary>
    private static string WithoutTokens(string query)
    {
        if (!query.Contains("access_token", StringComparison.OrdinalIgnoreCase))
        {
            return query;
        }

        var kept = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query).SelectMany(p => p.Value.Select(v =>
            new KeyValuePair<string, string?>(p.Key, p.Key.Contains("access_token", StringComparison.OrdinalIgnoreCase) ? "[redacted]" : v)));
        return QueryString.Create(kept).Value ?? string.Empty;
    }

    /// <summary>The type segment of /fhir/{type}/…, when it looks like a FHIR type name: for a request no endpoint answered (404, 401).</summary>
    private static string? RequestedType(HttpRequest request)
    {
        var segments = (request.Path.Value ?? string.Empty).Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments.Length > 1 && segments[1].Length <= 64 && char.IsAsciiLetterUpper(segments[1][0]) && segments[1].All(char.IsAsciiLetter)
            ? segments[1]
            : null;
    }

    /// <summary>
    /// When nothing returned names the record (a denial, an empty search), the record the request itself names:
    /// /fhir/Patient/{id}, or a search's patient/subject parameter.
    /// </summary>
    private static string? RequestedPatient(HttpRequest request, FhirOperation? operation, AuditScope audit)
    {
        if (audit.SpansSeveralPatients)
        {
            return null;
        }

        var values = request.RouteValues;
        if ((operation?.ResourceType ?? RequestedType(request)) == "Patient" && values.TryGetValue("id", out var id) && id is string patientId)
        {
            return Cut(patientId, 64);
        }

        foreach (var name in new[] { "patient", "subject" })
        {
            var value = request.Query[name].ToString();
            if (value.Length == 0 || value.Contains(','))
            {
                continue;
            }

            if (SearchIndexer.ParseReference(value) is ("Patient", var referenced))
            {
                return Cut(referenced, 64);
            }

            if (name == "patient" && !value.Contains('/'))
            {
                return Cut(value, 64);
            }
        }

        return null;
    }

    /// <summary>
    /// At most <paramref name="length"/> characters, and only characters every database stores: a NUL or a lone
    /// surrogate (which a client can put in a URL) would make the whole group commit fail, so they become U+FFFD.
    /// </summary>
    private static string? Cut(string? value, int length)
    {
        if (value is null)
        {
            return null;
        }

        var cut = value.Length <= length ? value : value[..length];
        char[]? chars = null; // copied only when a character must be replaced: every request cuts several fields
        for (var i = 0; i < cut.Length; i++)
        {
            var pairedHigh = char.IsHighSurrogate(cut[i]) && i + 1 < cut.Length && char.IsLowSurrogate(cut[i + 1]);
            if (pairedHigh)
            {
                i++;
            }
            else if (cut[i] == '\0' || char.IsSurrogate(cut[i]))
            {
                chars ??= cut.ToCharArray();
                chars[i] = '\uFFFD';
            }
        }

        return chars is null ? cut : new string(chars);
    }
}

public static class AuditTrailSetup
{
    /// <summary>The trail's queue, its one writer, and the table it writes to (Audit section of the configuration).</summary>
    public static IServiceCollection AddAuditTrail(this IServiceCollection services)
    {
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AuditTrail>();
        services.AddSingleton<AuditMetrics>();
        services.AddHealthChecks().AddCheck<AuditQueueHealthCheck>("audit-queue");
        services.AddSingleton<IAuditBatchStore, DatabaseAuditBatchStore>();
        services.AddSingleton<AuditWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditWriter>());
        return services;
    }

    /// <summary>Place after authentication (the requester is known, and 401 answers pass through it) and before anything that decides or answers.</summary>
    public static IApplicationBuilder UseAuditTrail(this IApplicationBuilder app) => app.UseMiddleware<AuditMiddleware>();
}
