using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace DmpApi.Tests.Contract;

/// <summary>Says in review terms how two OpenAPI documents differ: paths, operations, schemas, likely breaking changes, the first differing value.</summary>
internal static class OpenApiDrift
{
    private static readonly HashSet<string> HttpMethods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

    internal static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations(JsonNode document) =>
        document["paths"]?.AsObject()
            .SelectMany(path => path.Value!.AsObject()
                .Where(op => HttpMethods.Contains(op.Key) && op.Value is JsonObject)
                .Select(op => (path.Key, op.Key, op.Value!.AsObject())))
        ?? [];

    public static string Describe(JsonNode committed, JsonNode served)
    {
        var text = new StringBuilder("The served OpenAPI document differs from api-spec/openapi.json.").AppendLine();
        var before = OperationsByName(committed);
        var after = OperationsByName(served);

        List("Paths added", Keys(served["paths"]).Except(Keys(committed["paths"])), text);
        List("Paths removed (breaking)", Keys(committed["paths"]).Except(Keys(served["paths"])), text);
        List("Operations added", after.Keys.Except(before.Keys), text);
        List("Operations removed (breaking)", before.Keys.Except(after.Keys), text);
        List("Operations changed", before.Keys.Intersect(after.Keys)
            .Where(op => !JsonNode.DeepEquals(before[op], after[op]))
            .Select(op => $"{op} ({string.Join(", ", ChangedMembers(before[op], after[op]))})"), text);
        List("Likely breaking changes", before.Keys.Intersect(after.Keys).SelectMany(op => Breaking(op, before[op], after[op])), text);
        List("Added to existing operations", before.Keys.Intersect(after.Keys).SelectMany(op => Added(op, before[op], after[op])), text);
        List("Schemas added", Keys(served["components"]?["schemas"]).Except(Keys(committed["components"]?["schemas"])), text);
        List("Schemas removed (breaking)", Keys(committed["components"]?["schemas"]).Except(Keys(served["components"]?["schemas"])), text);
        List("Schemas changed", Keys(committed["components"]?["schemas"]).Intersect(Keys(served["components"]?["schemas"]))
            .Where(s => !JsonNode.DeepEquals(committed["components"]!["schemas"]![s], served["components"]!["schemas"]![s])), text);

        if (FirstDifference(committed, served, string.Empty) is { } difference)
        {
            text.AppendLine($"First difference at {(difference.Pointer.Length == 0 ? "/" : difference.Pointer)}:")
                .AppendLine($"  committed: {Show(difference.Committed)}")
                .AppendLine($"  served:    {Show(difference.Served)}");
        }

        return text.ToString();
    }

    private static Dictionary<string, JsonNode?> OperationsByName(JsonNode document) =>
        Operations(document).ToDictionary(o => $"{o.Method.ToUpperInvariant()} {o.Path}", o => (JsonNode?)o.Operation);

    private static IEnumerable<string> Keys(JsonNode? node) => node is JsonObject o ? o.Select(p => p.Key) : [];

    private static IEnumerable<string> ChangedMembers(JsonNode? before, JsonNode? after) =>
        Keys(before).Union(Keys(after)).Where(k => !JsonNode.DeepEquals(before?[k], after?[k]));

    /// <summary>What a client written against the committed document would miss: parameters, response codes, media types.</summary>
    private static IEnumerable<string> Parameters(JsonNode? op) =>
        op?["parameters"] is JsonArray a ? a.Select(p => $"{p?["in"]} parameter '{p?["name"]}'") : [];

    private static IEnumerable<string> MediaTypes(JsonNode? op) =>
        Keys(op?["requestBody"]?["content"]).Select(m => $"request body {m}")
            .Concat(Keys(op?["responses"]).SelectMany(code => Keys(op!["responses"]![code]?["content"]).Select(m => $"response {code} {m}")));

    /// <summary>What the served document adds to an operation (not breaking, but it must be committed, and tested).</summary>
    private static IEnumerable<string> Added(string operation, JsonNode? before, JsonNode? after) =>
        Parameters(after).Except(Parameters(before)).Select(p => $"{operation}: {p} added")
            .Concat(Keys(after?["responses"]).Except(Keys(before?["responses"])).Select(code => $"{operation}: response {code} added"))
            .Concat(MediaTypes(after).Except(MediaTypes(before)).Where(m => !m.StartsWith("response ", StringComparison.Ordinal)
                || Keys(before?["responses"]).Contains(m.Split(' ')[1])).Select(m => $"{operation}: {m} added"));

    private static IEnumerable<string> Breaking(string operation, JsonNode? before, JsonNode? after)
    {
        foreach (var parameter in Parameters(before).Except(Parameters(after)))
        {
            yield return $"{operation}: {parameter} removed";
        }

        foreach (var parameter in Parameters(after).Except(Parameters(before)).Where(p => after?["parameters"] is JsonArray a
                     && a.Any(x => $"{x?["in"]} parameter '{x?["name"]}'" == p && x?["required"]?.GetValue<bool>() == true)))
        {
            yield return $"{operation}: required {parameter} added";
        }

        foreach (var code in Keys(before?["responses"]).Except(Keys(after?["responses"])))
        {
            yield return $"{operation}: response {code} removed";
        }

        foreach (var mediaType in MediaTypes(before).Except(MediaTypes(after)))
        {
            yield return $"{operation}: {mediaType} removed";
        }
    }

    /// <summary>Depth first, in the committed document's order: the JSON pointer (RFC 6901) of the first value that differs.</summary>
    internal static (string Pointer, JsonNode? Committed, JsonNode? Served)? FirstDifference(JsonNode? committed, JsonNode? served, string pointer)
    {
        if (JsonNode.DeepEquals(committed, served))
        {
            return null;
        }

        switch (committed, served)
        {
            case (JsonObject a, JsonObject b):
                foreach (var key in Keys(a).Concat(Keys(b).Except(Keys(a))))
                {
                    if (FirstDifference(a[key], b[key], $"{pointer}/{key.Replace("~", "~0").Replace("/", "~1")}") is { } found)
                    {
                        return found;
                    }
                }

                break;
            case (JsonArray a, JsonArray b):
                for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
                {
                    if (FirstDifference(i < a.Count ? a[i] : null, i < b.Count ? b[i] : null, $"{pointer}/{i}") is { } found)
                    {
                        return found;
                    }
                }

                break;
        }

        return (pointer, committed, served);
    }

    internal static string Show(JsonNode? node)
    {
        var json = node?.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) ?? "(absent)";
        return json.Length <= 300 ? json : json[..300] + " …";
    }

    internal static void List(string title, IEnumerable<string> items, StringBuilder text)
    {
        var list = items.ToList();
        if (list.Count == 0)
        {
            return;
        }

        text.AppendLine($"{title} ({list.Count}):");
        foreach (var item in list.Take(25))
        {
            text.AppendLine($"  {item}");
        }

        if (list.Count > 25)
        {
            text.AppendLine($"  … and {list.Count - 25} more");
        }
    }
}
