using System.Globalization;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace DmpApi.Fhir;

public enum PreferReturn { Representation, Minimal, OperationOutcome }

/// <summary>Reading the FHIR-specific request headers (FHIR R4 §3.1.0.1.8, §3.1.0.5): Prefer, If-Match, the base URL.</summary>
public static class FhirRequest
{
    /// <summary>
    /// The service base URL, e.g. https://host/fhir: the configured public URL when there is one (a fleet behind a proxy),
    /// else the scheme and host of the request as the forwarded-headers middleware left them.
    /// </summary>
    public static string BaseUrl(this HttpRequest request) =>
        request.HttpContext.RequestServices.GetService<IOptions<PublicUrlOptions>>()?.Value.PublicBaseUrl is { Length: > 0 } configured
            ? configured.TrimEnd('/') + "/fhir"
            : $"{request.Scheme}://{request.Host}{request.PathBase}/fhir";

    public static PreferReturn PreferredReturn(this HttpRequest request)
    {
        foreach (var token in PreferTokens(request))
        {
            switch (token)
            {
                case "return=minimal": return PreferReturn.Minimal;
                case "return=OperationOutcome": return PreferReturn.OperationOutcome;
                case "return=representation": return PreferReturn.Representation;
            }
        }

        return PreferReturn.Representation;
    }

    /// <summary>Prefer: handling=strict turns ignored search parameters into 400 (FHIR R4 §3.1.1.2.1).</summary>
    public static bool StrictHandling(this HttpRequest request) => PreferTokens(request).Contains("handling=strict");

    /// <summary>The version an If-Match names (W/"3" or "3"); null when absent; 400 when malformed.</summary>
    public static int? IfMatchVersion(this HttpRequest request)
    {
        var value = request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var trimmed = value.Trim();
        if (trimmed.StartsWith("W/", StringComparison.Ordinal))
        {
            trimmed = trimmed[2..];
        }

        trimmed = trimmed.Trim('"');
        return int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version > 0
            ? version
            : throw FhirException.BadRequest($"If-Match '{value}' is not a version ETag such as W/\"3\".");
    }

    private static IEnumerable<string> PreferTokens(HttpRequest request) =>
        request.Headers["Prefer"].SelectMany(v => (v ?? string.Empty).Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    public static FhirException Gone(string type, string id) =>
        new(System.Net.HttpStatusCode.Gone, OperationOutcome.IssueType.Deleted, $"{type}/{id} has been deleted.");
}
