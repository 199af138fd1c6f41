using System.Globalization;
using System.Net;
using Hl7.Fhir.Model;

namespace DmpApi.Fhir;

/// <summary>A FHIR response: the resource in the negotiated format, with the versioning headers of FHIR R4 §3.1.0.</summary>
public sealed class FhirResult(HttpStatusCode status, Resource? body) : IResult
{
    private readonly IStoredEntry? _stored;
    private Resource? _body = body;

    /// <summary>
    /// One stored version as the body: a JSON answer sends its stored bytes with the headers and trace taken from the
    /// row, and never parses it; the SDK model is built only for an XML answer.
    /// </summary>
    public FhirResult(HttpStatusCode status, IStoredEntry stored)
        : this(status, (Resource?)null) => _stored = stored;

    public HttpStatusCode Status { get; } = status;
    public Resource? Body => _body ??= _stored?.Resource;
    public string? Location { get; init; }
    /// <summary>Sets ETag and Last-Modified from the body's meta (or from this resource when the body is an OperationOutcome).</summary>
    public Resource? VersionSource { get; init; }
    /// <summary>
    /// The resources of the body's first entries (a Bundle left without them): their stored JSON goes into a JSON answer
    /// as is (<see cref="StoredEntries"/>); they are parsed only for an XML one.
    /// </summary>
    public IReadOnlyList<IStoredEntry>? StoredEntries { get; init; }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        if (_stored is { Json: { } json } && FhirWire.ResponseFormat(httpContext.Request) == FhirFormat.Json)
        {
            await WriteStoredJsonAsync(httpContext, _stored, json);
            return;
        }

        // DMP-RULES §4: the trace names each resource returned (each entry of a Bundle), or the one written.
        var audit = httpContext.RequestTrace();
        foreach (var stored in StoredEntries ?? [])
        {
            audit?.Returned(stored.ResourceType, stored.Id, stored.PatientId);
        }

        audit?.Returned(Body is null or OperationOutcome ? VersionSource : Body);
        var response = httpContext.Response;
        response.StatusCode = (int)Status;
        var meta = (VersionSource ?? Body)?.Meta;
        if (meta?.VersionId is { } version && (VersionSource ?? Body) is not (Bundle or OperationOutcome))
        {
            response.Headers.ETag = $"W/\"{version}\"";
        }

        if (meta?.LastUpdated is { } lastUpdated && (VersionSource ?? Body) is not (Bundle or OperationOutcome))
        {
            response.Headers.LastModified = lastUpdated.ToUniversalTime().ToString("R", CultureInfo.InvariantCulture);
        }

        if (Location is not null)
        {
            response.Headers.Location = Location;
        }

        if (Body is null)
        {
            return;
        }

        var format = FhirWire.ResponseFormat(httpContext.Request);
        response.ContentType = FhirWire.MediaType(format) + "; charset=utf-8";
        var bytes = Serialize(format);
        response.ContentLength = bytes.Length;
        await response.Body.WriteAsync(bytes, httpContext.RequestAborted);
    }

    private async Task WriteStoredJsonAsync(HttpContext httpContext, IStoredEntry stored, byte[] json)
    {
        httpContext.RequestTrace()?.Returned(stored.ResourceType, stored.Id, stored.PatientId);
        var response = httpContext.Response;
        response.StatusCode = (int)Status;
        response.Headers.ETag = $"W/\"{stored.Version.ToString(CultureInfo.InvariantCulture)}\"";
        response.Headers.LastModified = DateTime.SpecifyKind(stored.LastUpdated, DateTimeKind.Utc).ToString("R", CultureInfo.InvariantCulture);
        if (Location is not null)
        {
            response.Headers.Location = Location;
        }

        response.ContentType = FhirWire.MediaType(FhirFormat.Json) + "; charset=utf-8";
        response.ContentLength = json.Length;
        await response.Body.WriteAsync(json, httpContext.RequestAborted);
    }

    private byte[] Serialize(FhirFormat format)
    {
        if (StoredEntries is null || Body is not Bundle bundle)
        {
            return FhirWire.Serialize(Body!, format);
        }

        if (format == FhirFormat.Json && StoredEntries.All(e => e.Json is not null))
        {
            return Fhir.StoredEntries.Splice(FhirWire.Serialize(bundle, format), StoredEntries.Select(e => e.Json!).ToList());
        }

        for (var i = 0; i < StoredEntries.Count; i++)
        {
            bundle.Entry[i].Resource = StoredEntries[i].Resource;
        }

        return FhirWire.Serialize(bundle, format);
    }

    public static FhirResult Outcome(HttpStatusCode status, OperationOutcome outcome) => new(status, outcome);

    /// <summary>
    /// The answer to a write: Location, ETag and Last-Modified, and the body the client preferred. A writer that may not
    /// read what it wrote (<paramref name="revealsResource"/> false: a death feed, issue 14) gets the OperationOutcome
    /// instead of the resource, or nothing with `Prefer: return=minimal`.
    /// </summary>
    public static FhirResult Written(HttpContext http, HttpStatusCode status, IStoredEntry stored, string message, bool revealsResource = true)
    {
        var body = http.Request.PreferredReturn() switch
        {
            PreferReturn.Minimal => null,
            PreferReturn.Representation when revealsResource => stored.Resource,
            _ => (Resource)Outcomes.Information(message),
        };
        return new FhirResult(status, body)
        {
            Location = $"{http.Request.BaseUrl()}/{stored.ResourceType}/{stored.Id}/_history/{stored.Version}",
            VersionSource = stored.Resource,
        };
    }
}
