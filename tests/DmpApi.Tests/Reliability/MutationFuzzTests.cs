using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Reliability;

/// <summary>
/// A bounded mutation fuzzer (DESIGN §4: never a 500 for anything a client sent): the examples of the committed API
/// document (api-spec/openapi.json, and api-spec/examples/*.json when present; a transaction Bundle is made around the
/// DocumentReference example for POST [base]) are mutated — bodies, headers, query
/// strings — and sent for DMP_FUZZ_SECONDS (default 15) per database. No answer may be a 5xx, and every error must be
/// an OperationOutcome. The seed is printed (and taken from DMP_FUZZ_SEED when set) so a failure can be replayed.
/// </summary>
public sealed class MutationFuzzTests(TestStore store) : StoreFixture(store)
{
    private static readonly string[] WritableTypes = ["Patient", "DocumentReference", "AllergyIntolerance", "Consent"];

    private static readonly string[] OddStrings =
    [
        "", " ", "\u0000", "\t\n", "' OR '1'='1", "\"; DROP TABLE \"Resources\"; --", "%", "_", "\\", "$(rm -rf /)", "Patient.name.where(true)",
        "%resource.id", "..\\..\\etc\\passwd", "../../", "<script>alert(1)</script>", "\uFFFF", "\uD800", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "‮reversed", "2026-02-30",
        "9999-12-31T23:59:59Z", "-1", "1e309", "NaN", "null", "true", "urn:oid:", "Patient/", "Patient/../Binary/x", "|", "||", ",,,",
        new string('x', 5000), "W/\"1\"", "W/\"-1\"", "*",
    ];

    private static readonly string[] ContentTypes =
        ["application/fhir+json", "application/fhir+xml", "application/json", "application/xml", "text/plain", "application/json-patch+json",
         "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/fhir+json; charset=latin1", "*/*", ";;;"];

    [Test]
    public async Task Mutated_examples_never_get_a_5xx_and_every_error_is_an_OperationOutcome()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("DMP_FUZZ_SEED"), out var s) ? s : Random.Shared.Next();
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("DMP_FUZZ_SECONDS"), out var t) ? t : 15;
        TestContext.Progress.WriteLine($"FUZZ {Store.Provider}: seed {seed} (replay with DMP_FUZZ_SEED={seed}), {seconds} s");
        var random = new Random(seed);
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(Infrastructure.DocumentBuilder.For(patient).Content(TestPdf.Create()));
        var examples = Examples(patient.Id!);
        var searchParameters = SearchParameters();
        Assert.That(examples, Is.Not.Empty, "Arrange: the API document holds examples");

        var failures = new List<string>();
        var statuses = new SortedDictionary<int, int>();
        var tried = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds) && failures.Count < 5)
        {
            tried++;
            using var request = Mutant(random, examples, searchParameters, patient.Id!, document.Id!);
            var described = await DescribeAsync(request, tried);
            var answer = await SendAsync(request);
            statuses[(int)answer.Status] = statuses.GetValueOrDefault((int)answer.Status) + 1;
            if ((int)answer.Status >= 500)
            {
                failures.Add($"{described}\n  → {answer}");
            }
            else if ((int)answer.Status >= 400 && !IsOperationOutcome(answer))
            {
                failures.Add($"{described}\n  → not an OperationOutcome: {answer}");
            }
        }

        TestContext.Progress.WriteLine($"FUZZ {Store.Provider}: {tried} inputs tried, statuses {string.Join(", ", statuses.Select(p => $"{p.Key}×{p.Value}"))}");
        Assert.That(failures, Is.Empty, $"seed {seed}:\n" + string.Join("\n\n", failures));
    }

    /// <summary>The examples of the writable types, their patient references pointed at a real record so mutants reach the store.</summary>
    private static List<JsonObject> Examples(string patientId)
    {
        var root = ApiSpecFolder();
        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(root, "openapi.json")))!;
        var found = new List<JsonObject>();
        foreach (var (_, schema) in document["components"]!["schemas"]!.AsObject())
        {
            if (schema?["example"] is JsonObject example && WritableTypes.Contains((string?)example["resourceType"]))
            {
                found.Add(example);
            }
        }

        var folder = Path.Combine(root, "examples");
        if (Directory.Exists(folder))
        {
            foreach (var file in Directory.EnumerateFiles(folder, "*.json"))
            {
                // Only what a client writes: searchsets, traces and outcomes would only meet 404 and 405.
                if (JsonNode.Parse(File.ReadAllText(file)) is JsonObject example
                    && (WritableTypes.Contains((string?)example["resourceType"]) || (example["type"] is JsonValue kind && kind.TryGetValue<string>(out var bundleType) && bundleType == "transaction")))
                {
                    found.Add(example);
                }
            }
        }

        // A transaction Bundle (IHE MHD ITI-65 at POST [base]) around the document example, for the bundle path.
        if (found.FirstOrDefault(e => (string?)e["resourceType"] == "DocumentReference") is { } documentExample)
        {
            found.Add(new JsonObject
            {
                ["resourceType"] = "Bundle",
                ["type"] = "transaction",
                ["entry"] = new JsonArray(new JsonObject
                {
                    ["fullUrl"] = "urn:uuid:" + Guid.NewGuid(),
                    ["resource"] = documentExample.DeepClone(),
                    ["request"] = new JsonObject { ["method"] = "POST", ["url"] = "DocumentReference" },
                }),
            });
        }

        return found.Select(e => (JsonObject)JsonNode.Parse(RepointPatients(e.ToJsonString(), patientId))!).ToList();
    }

    private static string RepointPatients(string json, string patientId) =>
        System.Text.RegularExpressions.Regex.Replace(json, "\"Patient/[^\"]*\"", $"\"Patient/{patientId}\"");

    /// <summary>Search parameter names per type, from the API document's GET operations.</summary>
    private static Dictionary<string, string[]> SearchParameters()
    {
        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(ApiSpecFolder(), "openapi.json")))!;
        var result = new Dictionary<string, string[]>();
        foreach (var (path, operations) in document["paths"]!.AsObject())
        {
            var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            if (segments.Length == 2 && operations?["get"]?["parameters"] is JsonArray parameters)
            {
                result[segments[1]] = parameters.Where(p => (string?)p?["in"] == "query").Select(p => (string)p!["name"]!).ToArray();
            }
        }

        return result;
    }

    private static string ApiSpecFolder()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !Directory.Exists(Path.Combine(folder.FullName, "api-spec")))
        {
            folder = folder.Parent;
        }

        return Path.Combine(folder?.FullName ?? throw new DirectoryNotFoundException("api-spec/ not found above the test folder."), "api-spec");
    }

    private HttpRequestMessage Mutant(Random random, List<JsonObject> examples, Dictionary<string, string[]> parameters, string patientId, string documentId)
    {
        var example = (JsonObject)examples[random.Next(examples.Count)].DeepClone();
        var type = (string)example["resourceType"]!;
        HttpRequestMessage request;
        switch (type == "Bundle" ? 0 : random.Next(6))
        {
            case 0 when type == "Bundle":
                request = new HttpRequestMessage(HttpMethod.Post, "fhir") { Content = Body(random, example) };
                break;
            case 0 or 1:
                request = new HttpRequestMessage(HttpMethod.Post, $"fhir/{type}") { Content = Body(random, example) };
                break;
            case 2:
                var id = type == "DocumentReference" ? documentId : type == "Patient" ? patientId : Guid.NewGuid().ToString("N");
                example["id"] = random.Next(4) == 0 ? Odd(random) : id;
                request = new HttpRequestMessage(HttpMethod.Put, $"fhir/{type}/{Uri.EscapeDataString(id)}") { Content = Body(random, example) };
                break;
            case 3:
                request = new HttpRequestMessage(HttpMethod.Get, $"fhir/{type}?{Query(random, parameters.GetValueOrDefault(type) ?? [], patientId)}");
                break;
            case 4:
                var form = Enumerable.Range(0, random.Next(1, 6)).Select(_ => new KeyValuePair<string, string>(
                    Pick(random, parameters.GetValueOrDefault(type) ?? ["patient"]), random.Next(2) == 0 ? patientId : Odd(random))).ToList();
                request = new HttpRequestMessage(HttpMethod.Post, $"fhir/{type}/_search") { Content = new FormUrlEncodedContent(form) };
                break;
            default:
                var patch = new JsonArray(new JsonObject
                {
                    ["op"] = Pick(random, ["replace", "add", "remove", "move", "copy", "test", Odd(random)]),
                    ["path"] = Pick(random, ["/status", "/securityLabel", "/securityLabel/0", "/subject", "/id", "/meta/versionId", Odd(random)]),
                    ["value"] = RandomValue(random, 0),
                });
                request = new HttpRequestMessage(HttpMethod.Patch, $"fhir/DocumentReference/{documentId}")
                {
                    Content = Content(random.Next(4) == 0 ? Truncate(random, patch.ToJsonString()) : patch.ToJsonString(), "application/json-patch+json"),
                };
                break;
        }

        MutateHeaders(random, request);
        return request;
    }

    private static HttpContent Body(Random random, JsonObject example)
    {
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            MutateTree(random, example);
        }

        var text = example.ToJsonString();
        text = random.Next(8) switch
        {
            0 => Truncate(random, text),
            1 => FlipBytes(random, text),
            _ => text,
        };
        return Content(text, random.Next(6) == 0 ? Pick(random, ContentTypes) : FhirHttp.Json);
    }

    /// <summary>A body with its Content-Type as given, valid or not (the client library would refuse to send a malformed one).</summary>
    private static HttpContent Content(string text, string mediaType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(text));
        content.Headers.TryAddWithoutValidation("Content-Type", mediaType);
        return content;
    }

    /// <summary>One structural mutation somewhere in the tree: remove, replace, add an unknown element, or change the type.</summary>
    private static void MutateTree(Random random, JsonObject root)
    {
        var objects = new List<JsonObject>();
        Collect(root, objects);
        var target = objects[random.Next(objects.Count)];
        var keys = target.Select(p => p.Key).ToList();
        switch (random.Next(5))
        {
            case 0 when keys.Count > 0:
                target.Remove(Pick(random, keys));
                break;
            case 1 when keys.Count > 0:
                target[Pick(random, keys)] = RandomValue(random, 0);
                break;
            case 2:
                target[Pick(random, ["unknownElement", "_status", "extension", "modifierExtension", "contained", "meta", "id", "resourceType"])] = RandomValue(random, 0);
                break;
            case 3:
                root["resourceType"] = Pick(random, [.. WritableTypes, "Binary", "Bundle", "Questionnaire", "", Odd(random)]);
                break;
            default:
                if (keys.Count > 0 && target[Pick(random, keys)] is JsonValue value && value.TryGetValue<string>(out var text))
                {
                    target[keys.First(k => target[k] == value)] = random.Next(2) == 0 ? Odd(random) : text + Odd(random);
                }

                break;
        }
    }

    private static void Collect(JsonNode? node, List<JsonObject> into)
    {
        switch (node)
        {
            case JsonObject o:
                into.Add(o);
                foreach (var (_, child) in o)
                {
                    Collect(child, into);
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    Collect(child, into);
                }

                break;
        }
    }

    private static JsonNode? RandomValue(Random random, int depth) => random.Next(depth > 3 ? 4 : 7) switch
    {
        0 => null,
        1 => JsonValue.Create(Odd(random)),
        2 => JsonValue.Create(random.Next(3) switch { 0 => long.MaxValue, 1 => -1, _ => random.NextDouble() * 1e300 }),
        3 => JsonValue.Create(random.Next(2) == 0),
        4 => new JsonArray(Enumerable.Range(0, random.Next(4)).Select(_ => RandomValue(random, depth + 1)).ToArray()),
        5 => new JsonObject { [Odd(random) is { Length: > 0 and < 40 } key ? key : "x"] = RandomValue(random, depth + 1) },
        _ => Nested(random.Next(10, 3000)),
    };

    private static JsonNode Nested(int depth)
    {
        JsonNode node = new JsonArray();
        for (var i = 0; i < Math.Min(depth, 60); i++)
        {
            node = new JsonArray(node); // deeper than that is sent as text below the JSON writer's own limit
        }

        return node;
    }

    private static string Query(Random random, string[] names, string patientId)
    {
        var parts = new List<string>();
        if (random.Next(3) > 0)
        {
            parts.Add($"patient={patientId}");
        }

        for (var i = random.Next(0, 5); i > 0; i--)
        {
            var name = random.Next(6) == 0 ? Odd(random) : Pick(random, names.Length > 0 ? names : ["_id"]);
            var modifier = random.Next(5) == 0 ? ":" + Pick(random, ["exact", "contains", "missing", "not", "text", "above", Odd(random)]) : string.Empty;
            var prefix = random.Next(4) == 0 ? Pick(random, ["eq", "ne", "lt", "le", "gt", "ge", "sa", "eb", "ap", "zz"]) : string.Empty;
            parts.Add(Uri.EscapeDataString(name + modifier) + "=" + Uri.EscapeDataString(prefix + Odd(random)));
        }

        if (random.Next(20) == 0)
        {
            parts.AddRange(Enumerable.Repeat("status=current", random.Next(100, 1000)));
        }

        return string.Join('&', parts);
    }

    private static void MutateHeaders(Random random, HttpRequestMessage request)
    {
        if (random.Next(5) == 0)
        {
            request.Headers.TryAddWithoutValidation("If-Match", Pick(random, ["W/\"1\"", "W/\"0\"", "\"1\"", "W/1", "*", Odd(random)]));
        }

        if (random.Next(6) == 0)
        {
            request.Headers.TryAddWithoutValidation("If-None-Exist", Pick(random, ["identifier=" + Odd(random), Odd(random), "_id=x&_id=y"]));
        }

        if (random.Next(6) == 0)
        {
            request.Headers.TryAddWithoutValidation("Prefer", Pick(random, ["return=minimal", "return=OperationOutcome", "handling=strict", Odd(random)]));
        }

        if (random.Next(6) == 0)
        {
            request.Headers.TryAddWithoutValidation("Accept", Pick(random, [.. ContentTypes, Odd(random)]));
        }
    }

    private static string Truncate(Random random, string text) => text[..random.Next(text.Length)];

    private static string FlipBytes(Random random, string text)
    {
        var chars = text.ToCharArray();
        for (var i = random.Next(1, 5); i > 0 && chars.Length > 0; i--)
        {
            chars[random.Next(chars.Length)] = (char)random.Next(0, 0x3000);
        }

        return new string(chars);
    }

    private static string Odd(Random random) => Pick(random, OddStrings);

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private async Task<FhirResponse> SendAsync(HttpRequestMessage request)
    {
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Tokens.Professional());
        using var response = await Fhir.Http.SendAsync(request);
        return new FhirResponse(response.StatusCode, response.Headers, response.Content.Headers, await response.Content.ReadAsByteArrayAsync());
    }

    private static bool IsOperationOutcome(FhirResponse answer)
    {
        try
        {
            return answer.Resource<OperationOutcome>().Issue.Count > 0;
        }
        catch (AssertionException)
        {
            return false;
        }
    }

    private static async Task<string> DescribeAsync(HttpRequestMessage request, int index)
    {
        var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync();
        var headers = string.Join("; ", request.Headers.Concat(request.Content?.Headers ?? Enumerable.Empty<KeyValuePair<string, IEnumerable<string>>>())
            .Select(h => $"{h.Key}: {string.Join(",", h.Value)}"));
        return $"#{index} {request.Method} {Cut(request.RequestUri?.ToString() ?? string.Empty)} [{Cut(headers)}] {Cut(body)}";
    }

    private static string Cut(string text) => text.Length > 4000 ? text[..4000] + "…" : text;
}
