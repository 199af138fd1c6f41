using System.Text;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Net.Http.Headers;

namespace DmpApi.Fhir;

public enum FhirFormat { Json, Xml }

/// <summary>FHIR wire format (FHIR R4 §3.1.0.1.10): JSON and XML through the Hl7.Fhir SDK only, negotiated by _format or Accept.</summary>
public static class FhirWire
{
    public const string JsonMediaType = "application/fhir+json";
    public const string XmlMediaType = "application/fhir+xml";

    /// <summary>One shared options instance: building FHIR serializer options per call is slow.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector);

    /// <summary>
    /// Stored resources were validated when written (DESIGN §5): reading them back checks the syntax only, since the
    /// model validation a request body gets is most of the SDK's parsing time.
    /// </summary>
    private static readonly JsonSerializerOptions StoredJsonOptions = new JsonSerializerOptions().ForFhir(ModelInfo.ModelInspector).UsingMode(DeserializationMode.SyntaxOnly);

    private static readonly FhirXmlSerializer XmlSerializer = new();
    private static readonly FhirXmlDeserializer XmlDeserializer = new();

    /// <summary>The format the client asked for: `_format` wins over `Accept`; JSON when neither names FHIR XML.</summary>
    public static FhirFormat ResponseFormat(HttpRequest request)
    {
        var format = request.Query["_format"].ToString();
        if (!string.IsNullOrEmpty(format))
        {
            return IsXml(format) ? FhirFormat.Xml : IsJson(format) ? FhirFormat.Json
                : throw FhirException.BadRequest($"_format '{format}' is not supported; use json or xml.", OperationOutcome.IssueType.NotSupported);
        }

        return AcceptedFormat(request);
    }

    /// <summary>The format `Accept` names (JSON when none): also the format of the 400 that answers an unsupported `_format`.</summary>
    public static FhirFormat AcceptedFormat(HttpRequest request)
    {
        foreach (var accept in request.GetTypedHeaders().Accept.OrderByDescending(a => a.Quality ?? 1))
        {
            if (IsJson(accept.MediaType.Value)) return FhirFormat.Json;
            if (IsXml(accept.MediaType.Value)) return FhirFormat.Xml;
        }

        return FhirFormat.Json;
    }

    /// <summary>True when the client named a FHIR format explicitly (Binary read returns raw bytes otherwise).</summary>
    public static bool AsksForFhir(HttpRequest request) =>
        !string.IsNullOrEmpty(request.Query["_format"])
        || request.GetTypedHeaders().Accept.Any(a => IsJson(a.MediaType.Value) || IsXml(a.MediaType.Value));

    public static string MediaType(FhirFormat format) => format == FhirFormat.Xml ? XmlMediaType : JsonMediaType;

    public static byte[] Serialize(Resource resource, FhirFormat format) =>
        format == FhirFormat.Xml
            ? Encoding.UTF8.GetBytes(XmlSerializer.SerializeToString(resource))
            : JsonSerializer.SerializeToUtf8Bytes(resource, JsonOptions);

    public static byte[] SerializeJson(Resource resource) => JsonSerializer.SerializeToUtf8Bytes(resource, JsonOptions);

    public static Resource DeserializeJson(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<Resource>(json, JsonOptions) ?? throw new InvalidDataException("Resource JSON is empty.");

    /// <summary>A resource as the store wrote it (see <see cref="StoredJsonOptions"/>).</summary>
    public static Resource DeserializeStored(ReadOnlySpan<byte> json) =>
        JsonSerializer.Deserialize<Resource>(json, StoredJsonOptions) ?? throw new InvalidDataException("Stored resource is empty.");

    /// <summary>Reads a FHIR body: 415 for a content type that is not FHIR, 400 with every parser issue for bad syntax.</summary>
    public static async Task<Resource> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var contentType = request.ContentType;
        if (string.IsNullOrEmpty(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            throw new FhirException(System.Net.HttpStatusCode.UnsupportedMediaType, OperationOutcome.IssueType.NotSupported,
                "A Content-Type of application/fhir+json or application/fhir+xml is required.");
        }

        var isXml = IsXml(media.MediaType.Value);
        if (!isXml && !IsJson(media.MediaType.Value))
        {
            throw new FhirException(System.Net.HttpStatusCode.UnsupportedMediaType, OperationOutcome.IssueType.NotSupported,
                $"Content-Type '{media.MediaType}' is not supported; use application/fhir+json or application/fhir+xml.");
        }

        var body = await ReadLimitedBodyAsync(request, "a FHIR resource", cancellationToken);

        Resource resource;
        try
        {
            resource = isXml
                ? XmlDeserializer.Deserialize<Resource>(Encoding.UTF8.GetString(body))
                : JsonSerializer.Deserialize<Resource>(body, JsonOptions)
                  ?? throw FhirException.BadRequest("The body is JSON null; a FHIR resource is expected.");
        }
        catch (DeserializationFailedException e)
        {
            var issues = e.Exceptions.Select(x => Outcomes.Issue(OperationOutcome.IssueType.Structure, x.Message, OperationOutcome.IssueSeverity.Error));
            throw new FhirException(System.Net.HttpStatusCode.BadRequest, OperationOutcome.IssueType.Structure,
                "The body is not a valid FHIR resource.", issues);
        }
        catch (JsonException e)
        {
            throw FhirException.BadRequest($"The body is not valid JSON: {e.Message}", OperationOutcome.IssueType.Structure);
        }
        catch (InvalidOperationException e)
        {
            // The SDK's JSON converter throws this for a body that is not a JSON object at all (e.g. an array).
            throw FhirException.BadRequest($"The body is not a FHIR resource: {e.Message}", OperationOutcome.IssueType.Structure);
        }
        catch (System.Xml.XmlException e)
        {
            throw FhirException.BadRequest($"The body is not valid XML: {e.Message}", OperationOutcome.IssueType.Structure);
        }
        catch (FormatException e)
        {
            throw FhirException.BadRequest($"The body is not a valid FHIR resource: {e.Message}", OperationOutcome.IssueType.Structure);
        }
        catch (Exception e) when (e is Hl7.Fhir.Validation.CodedValidationException or NullReferenceException or InvalidCastException or ArgumentException or IndexOutOfRangeException)
        {
            // The SDK's parser trips on some shapes instead of reporting them (e.g. "contained": {"x": null}): still the body's fault.
            throw FhirException.BadRequest($"The body is not a valid FHIR resource ({e.GetType().Name}: {e.Message}).", OperationOutcome.IssueType.Structure);
        }

        if (FhirText.FindControlCharacter(resource, resource.TypeName) is { } location)
        {
            throw FhirException.BadRequest($"{location} holds a control character, which FHIR strings cannot contain.", OperationOutcome.IssueType.Value);
        }

        return resource;
    }

    /// <summary>The whole body, refused with 413 past Limits:MaxRequestBodyBytes and with 400 when empty.</summary>
    public static async Task<byte[]> ReadLimitedBodyAsync(HttpRequest request, string expected, CancellationToken cancellationToken)
    {
        // Checked here as well as by Kestrel: the limit must hold behind any server (IIS, the test host).
        var limit = request.HttpContext.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<LimitsOptions>>().Value.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
        {
            throw TooLarge(limit);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                throw TooLarge(limit);
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw FhirException.BadRequest($"The request body is empty; {expected} is expected.", OperationOutcome.IssueType.Required);
        }

        return buffer.ToArray();
    }

    private static FhirException TooLarge(long limit) =>
        new(System.Net.HttpStatusCode.RequestEntityTooLarge, OperationOutcome.IssueType.TooLong,
            $"The request body is larger than the limit of {limit} bytes (Limits:MaxRequestBodyBytes).");

    private static bool IsJson(string? mediaType) =>
        mediaType is not null && (mediaType.Equals("json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/fhir+json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/json+fhir", StringComparison.OrdinalIgnoreCase));

    private static bool IsXml(string? mediaType) =>
        mediaType is not null && (mediaType.Equals("xml", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/fhir+xml", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/xml", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("text/xml", StringComparison.OrdinalIgnoreCase)
            || mediaType.Equals("application/xml+fhir", StringComparison.OrdinalIgnoreCase));
}
