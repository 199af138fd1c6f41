using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DmpApi.Tests.Infrastructure;

namespace DmpApi.Tests.Contract;

/// <summary>
/// The document served at /swagger/v1/swagger.json is the committed api-spec/openapi.json (DESIGN §1): every change to
/// the API contract shows up in review as a diff of that file, and the build fails until it is regenerated.
/// </summary>
public sealed class OpenApiDocumentTests
{
    private const string DocumentPath = "swagger/v1/swagger.json";
    private const string Regenerate = "If the change is intended, run scripts/update-api-spec.sh and commit api-spec/openapi.json; "
        + "a removed or renamed path, parameter, response code, media type or required field breaks clients (api-spec/README.md).";

    private static readonly HashSet<string> HttpMethods = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

    private TestDatabase? _database;
    private DmpApiApplication? _app;
    private string _servedText = string.Empty;
    private JsonObject _served = [];

    [OneTimeSetUp]
    public async Task StartApplicationAsync()
    {
        // The document does not depend on the database; SQLite is there because the application needs one to start.
        _database = await new SqliteStore().CreateDatabaseAsync();
        _app = new DmpApiApplication(_database);
        using var http = _app.CreateClient();
        _servedText = await http.GetStringAsync(DocumentPath);
        _served = JsonNode.Parse(_servedText)!.AsObject();
    }

    [OneTimeTearDown]
    public async Task StopApplicationAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    [Test]
    public void The_served_document_is_the_committed_api_spec()
    {
        var committedFile = Path.Combine(RepositoryRoot(), "api-spec", "openapi.json");
        Assert.That(File.Exists(committedFile), Is.True, $"{committedFile} is missing. Run scripts/update-api-spec.sh to create it.");
        var committed = JsonNode.Parse(File.ReadAllText(committedFile))!;

        var same = JsonNode.DeepEquals(committed, _served);

        if (!same)
        {
            // The served document next to the test results, for a full diff against the committed one.
            var servedFile = Path.Combine(TestContext.CurrentContext.WorkDirectory, "openapi.served.json");
            File.WriteAllText(servedFile, _servedText);
            TestContext.AddTestAttachment(servedFile, "The document the application serves");
        }

        Assert.That(same, Is.True, () => OpenApiDrift.Describe(committed, _served) + Environment.NewLine + Regenerate);
    }

    [Test]
    public void Every_FHIR_operation_has_a_summary_a_success_response_and_a_client_error_response()
    {
        var problems = new List<string>();
        foreach (var (path, method, operation) in Operations(_served).Where(o => o.Path.StartsWith("/fhir", StringComparison.Ordinal)))
        {
            var name = $"{method.ToUpperInvariant()} {path}";
            var codes = operation["responses"]?.AsObject().Select(r => r.Key).ToList() ?? [];
            if (string.IsNullOrWhiteSpace(operation["summary"]?.GetValue<string>()))
            {
                problems.Add($"{name}: no summary (WithSummary on the endpoint)");
            }

            if (!codes.Any(c => c.StartsWith('2')))
            {
                problems.Add($"{name}: no 2xx response");
            }

            if (!codes.Any(c => c.StartsWith('4')))
            {
                problems.Add($"{name}: no 4xx response");
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(Operations(_served).Count(o => o.Path.StartsWith("/fhir", StringComparison.Ordinal)), Is.GreaterThan(0), "No /fhir operation is documented.");
            Assert.That(problems, Is.Empty, () => string.Join(Environment.NewLine, problems));
        });
    }

    [Test]
    public void A_bearer_token_is_required_everywhere_but_the_CapabilityStatement()
    {
        var scheme = _served["components"]?["securitySchemes"]?["bearer"];
        var unsecured = Operations(_served)
            .Where(o => o.Path.StartsWith("/fhir", StringComparison.Ordinal) && o.Path != "/fhir/metadata")
            .Where(o => o.Operation["security"]?.AsArray().Any(r => r?["bearer"] is not null) != true)
            .Select(o => $"{o.Method.ToUpperInvariant()} {o.Path}")
            .ToList();

        Assert.Multiple(() =>
        {
            Assert.That(scheme?["type"]?.GetValue<string>(), Is.EqualTo("http"), "components.securitySchemes.bearer");
            Assert.That(scheme?["scheme"]?.GetValue<string>(), Is.EqualTo("bearer"), "components.securitySchemes.bearer");
            Assert.That(unsecured, Is.Empty, "Operations without the bearer requirement");
            Assert.That(_served["paths"]?["/fhir/metadata"]?["get"]?["security"], Is.Null, "/fhir/metadata needs no token");
        });
    }

    /// <summary>The folder holding DmpApi.sln, found upwards from the test binaries.</summary>
    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "DmpApi.sln")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No DmpApi.sln above {TestContext.CurrentContext.TestDirectory}.");
    }

    internal static IEnumerable<(string Path, string Method, JsonObject Operation)> Operations(JsonNode document) =>
        document["paths"]?.AsObject()
            .SelectMany(path => path.Value!.AsObject()
                .Where(op => HttpMethods.Contains(op.Key) && op.Value is JsonObject)
                .Select(op => (path.Key, op.Key, op.Value!.AsObject())))
        ?? [];
}

/// <summary>Says in review terms how two OpenAPI documents differ: paths, operations, schemas, likely breaking changes, the first differing value.</summary>
internal static class OpenApiDrift
{
    public static string Describe(JsonNode committed, JsonNode served)
    {
        var text = new StringBuilder("The served OpenAPI document differs from api-spec/openapi.json.").AppendLine();
        var before = Operations(committed);
        var after = Operations(served);

        List("Paths added", Keys(served["paths"]).Except(Keys(committed["paths"])), text);
        List("Paths removed (breaking)", Keys(committed["paths"]).Except(Keys(served["paths"])), text);
        List("Operations added", after.Keys.Except(before.Keys), text);
        List("Operations removed (breaking)", before.Keys.Except(after.Keys), text);
        List("Operations changed", before.Keys.Intersect(after.Keys)
            .Where(op => !JsonNode.DeepEquals(before[op], after[op]))
            .Select(op => $"{op} ({string.Join(", ", ChangedMembers(before[op], after[op]))})"), text);
        List("Likely breaking changes", before.Keys.Intersect(after.Keys).SelectMany(op => Breaking(op, before[op], after[op])), text);
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

    private static Dictionary<string, JsonNode?> Operations(JsonNode document) =>
        OpenApiDocumentTests.Operations(document).ToDictionary(o => $"{o.Method.ToUpperInvariant()} {o.Path}", o => (JsonNode?)o.Operation);

    private static IEnumerable<string> Keys(JsonNode? node) => node is JsonObject o ? o.Select(p => p.Key) : [];

    private static IEnumerable<string> ChangedMembers(JsonNode? before, JsonNode? after) =>
        Keys(before).Union(Keys(after)).Where(k => !JsonNode.DeepEquals(before?[k], after?[k]));

    /// <summary>What a client written against the committed document would miss: parameters, response codes, media types.</summary>
    private static IEnumerable<string> Breaking(string operation, JsonNode? before, JsonNode? after)
    {
        static IEnumerable<string> Parameters(JsonNode? op) =>
            op?["parameters"] is JsonArray a ? a.Select(p => $"{p?["in"]} parameter '{p?["name"]}'") : [];

        static IEnumerable<string> MediaTypes(JsonNode? op) =>
            Keys(op?["requestBody"]?["content"]).Select(m => $"request body {m}")
                .Concat(Keys(op?["responses"]).SelectMany(code => Keys(op!["responses"]![code]?["content"]).Select(m => $"response {code} {m}")));

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
    private static (string Pointer, JsonNode? Committed, JsonNode? Served)? FirstDifference(JsonNode? committed, JsonNode? served, string pointer)
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

    private static string Show(JsonNode? node)
    {
        var json = node?.ToJsonString(new JsonSerializerOptions { WriteIndented = false }) ?? "(absent)";
        return json.Length <= 300 ? json : json[..300] + " …";
    }

    private static void List(string title, IEnumerable<string> items, StringBuilder text)
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
