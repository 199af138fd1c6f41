using System.Text;
using System.Text.Json.Nodes;
using DmpApi.Tests.Contract;

namespace DmpApi.ContractTests.Spec;

/// <summary>Says in review terms how two CapabilityStatements differ: resource types, interactions, search parameters, the first differing value.</summary>
internal static class CapabilityStatementDrift
{
    public static string Describe(JsonNode committed, JsonNode served)
    {
        var before = Capabilities(committed);
        var after = Capabilities(served);
        var text = new StringBuilder("The served CapabilityStatement differs from api-spec/CapabilityStatement.json.").AppendLine();
        OpenApiDrift.List("Removed (breaking)", before.Except(after), text);
        OpenApiDrift.List("Added", after.Except(before), text);
        if (OpenApiDrift.FirstDifference(committed, served, string.Empty) is { } difference)
        {
            text.AppendLine($"First difference at {(difference.Pointer.Length == 0 ? "/" : difference.Pointer)}:")
                .AppendLine($"  committed: {OpenApiDrift.Show(difference.Committed)}")
                .AppendLine($"  served:    {OpenApiDrift.Show(difference.Served)}");
        }

        return text.ToString();
    }

    /// <summary>What a client relies on, one line each: "Patient", "Patient interaction read", "Patient search identifier (token)", formats.</summary>
    private static List<string> Capabilities(JsonNode statement)
    {
        var lines = new List<string>();
        lines.AddRange(statement["format"]?.AsArray().Select(f => $"format {f}") ?? []);
        foreach (var resource in statement["rest"]?[0]?["resource"]?.AsArray() ?? [])
        {
            var type = resource?["type"]?.GetValue<string>();
            lines.Add($"{type}");
            lines.AddRange(resource?["interaction"]?.AsArray().Select(i => $"{type} interaction {i?["code"]}") ?? []);
            lines.AddRange(resource?["searchParam"]?.AsArray().Select(p => $"{type} search {p?["name"]} ({p?["type"]})") ?? []);
            lines.AddRange(resource?["searchInclude"]?.AsArray().Select(p => $"{type} _include {p}") ?? []);
            if (resource?["conditionalCreate"]?.GetValue<bool>() == true)
            {
                lines.Add($"{type} conditional create");
            }
        }

        return lines;
    }
}
