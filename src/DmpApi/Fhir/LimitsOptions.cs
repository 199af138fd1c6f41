using System.ComponentModel.DataAnnotations;

namespace DmpApi.Fhir;

/// <summary>Configuration section "Limits": what one request may send (413 beyond, DESIGN §4).</summary>
public sealed class LimitsOptions
{
    public const string Section = "Limits";

    [Range(1024, 1L << 31)]
    public long MaxRequestBodyBytes { get; set; } = 10 * 1024 * 1024;
}
