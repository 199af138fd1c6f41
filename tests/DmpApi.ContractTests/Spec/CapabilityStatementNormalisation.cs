using System.Text.Json.Nodes;

namespace DmpApi.ContractTests.Spec;

/// <summary>
/// The CapabilityStatement fields that depend on where and which build answered (base URL, software version, publication
/// date); both the committed copy and the served one are compared with exactly these fields set to fixed values
/// (api-spec/README.md). scripts/update-api-spec.sh writes the committed copy with the same values.
/// </summary>
internal static class CapabilityStatementNormalisation
{
    public const string BaseUrl = "https://dmp.example.fr/fhir";
    public const string Version = "0.0.0";
    public const string Date = "2026-01-01";

    public static JsonNode Normalise(JsonNode statement)
    {
        var copy = statement.DeepClone().AsObject();
        copy["url"] = BaseUrl + "/metadata";
        copy["date"] = Date;
        if (copy["software"] is JsonObject software)
        {
            software["version"] = Version;
        }

        if (copy["implementation"] is JsonObject implementation)
        {
            implementation["url"] = BaseUrl;
        }

        return copy;
    }
}
