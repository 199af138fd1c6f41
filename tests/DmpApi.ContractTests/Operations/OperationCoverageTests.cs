using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;

namespace DmpApi.ContractTests.Operations;

/// <summary>
/// Every documented status code and content type of every /fhir operation, exercised on the live server: one case per
/// (operation, status, media type) of the committed OpenAPI document (which the drift test holds equal to the served one).
/// Each answer must have that status and content type, parse strictly and pass the SDK's validation, hold the documented
/// resource type, and be an OperationOutcome when it is an error. The coverage matrix is printed and written to
/// TestResults/contract-coverage.txt.
/// </summary>
[NonParallelizable]
public sealed class OperationCoverageTests
{
    private static readonly JsonNode Committed = JsonNode.Parse(File.ReadAllText(Repository.File("api-spec", "openapi.json")))!;
    private static readonly ConcurrentDictionary<(string Operation, string Status), string> Results = new();

    private static IEnumerable<TestCaseData> Cases() =>
        from operation in DocumentedOperation.In(Committed)
        from response in operation.Responses
        from mediaType in response.Value.Count == 0 ? [(string?)null] : response.Value.Select(m => (string?)m)
        select new TestCaseData(operation.Name, response.Key, mediaType ?? "(no body)")
            .SetArgDisplayNames(operation.Name, response.Key, mediaType ?? "(no body)");

    [TestCaseSource(nameof(Cases))]
    public async Task The_server_answers_the_documented_status_and_content_type(string operationName, string status, string mediaType)
    {
        var fhirBase = LiveServer.FhirBase; // ignores the case, with the reason, when there is no live server
        var operation = DocumentedOperation.In(Committed).Single(o => o.Name == operationName);
        if (Probes.Unreachable(operation, status) is { } reason)
        {
            Record(operation, status, "n/a");
            Assert.Ignore($"{operationName} → {status}: not exercised against a live server: {reason}.");
        }

        var probe = Probes.For(operation, status);
        Assert.That(probe, Is.Not.Null,
            $"No probe makes the server answer {status} to {operationName}: add one in tests/DmpApi.ContractTests/Operations/Probes.cs "
            + "(or, when no client can cause it, list it in Probes.Unreachable with the reason).");

        var request = await probe!(mediaType == "(no body)" ? null : mediaType);
        using var response = await ProbeRunner.SendAsync(request, mediaType == "(no body)" ? null : mediaType);
        var body = await response.Content.ReadAsStringAsync();

        Assert.That((int)response.StatusCode, Is.EqualTo(int.Parse(status)),
            () => $"{request.Method} {request.Url.Replace(fhirBase, "/fhir")} answered:{Environment.NewLine}{Shorten(body)}");
        if (mediaType == "(no body)")
        {
            Assert.That(body, Is.Empty, "A response documented without content has no body");
        }
        else
        {
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo(mediaType), "Content-Type");
            if (mediaType is FhirBodies.Json or FhirBodies.Xml)
            {
                var resource = FhirBodies.ParseValid(body, mediaType, $"{operationName} → {status}");
                var documented = DocumentedOperation.SchemaType(Committed, operation, status, mediaType);
                Assert.Multiple(() =>
                {
                    Assert.That(resource.TypeName, Is.EqualTo(documented), "The documented body type");
                    if (status[0] is '4' or '5')
                    {
                        Assert.That(resource, Is.InstanceOf<OperationOutcome>(), "Errors are OperationOutcomes (DESIGN §4)");
                        Assert.That(((OperationOutcome)resource).Issue.Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal
                                && i.Code is not null && !string.IsNullOrWhiteSpace(i.Diagnostics)),
                            Is.Not.Empty, "An error issue with a code and diagnostics");
                    }
                });
            }
        }

        Record(operation, status, Short(mediaType));
    }

    [Test]
    public async Task Every_operation_and_status_the_served_document_lists_has_a_probe()
    {
        var served = JsonNode.Parse(await LiveServer.Http.GetStringAsync(LiveServer.Root + "/swagger/v1/swagger.json"))!;

        var missing = DocumentedOperation.In(served)
            .SelectMany(o => o.Responses.Keys.Select(status => (o, status)))
            .Where(x => Probes.Unreachable(x.o, x.status) is null && Probes.For(x.o, x.status) is null)
            .Select(x => $"{x.o.Name} → {x.status}")
            .ToList();

        Assert.That(missing, Is.Empty, "Documented responses no contract test exercises (add a probe in Operations/Probes.cs)");
    }

    [OneTimeTearDown]
    public void PrintCoverageMatrix()
    {
        if (Results.IsEmpty)
        {
            return;
        }

        var matrix = CoverageMatrix();
        TestContext.Progress.WriteLine(matrix);
        var label = Environment.GetEnvironmentVariable("DMP_CONTRACT_LABEL") is { Length: > 0 } l ? "-" + l : string.Empty;
        var file = Repository.File("TestResults", $"contract-coverage{label}.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, matrix);
    }

    private static string CoverageMatrix()
    {
        var operations = DocumentedOperation.In(Committed);
        var statuses = operations.SelectMany(o => o.Responses.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var width = operations.Max(o => o.Name.Length) + 2;
        var text = new StringBuilder()
            .AppendLine("Contract coverage: operation × documented status (J = application/fhir+json, X = application/fhir+xml (request bodies in the same format), "
                + "P = application/pdf, O = application/octet-stream, E = empty body, n/a = not reachable from outside (reason in the test output), "
                + "! = documented but failed or not run, . = not documented)")
            .Append("".PadRight(width)).AppendLine(string.Join(" ", statuses.Select(s => s.PadRight(4))));
        int documented = 0, exercised = 0;
        foreach (var operation in operations)
        {
            text.Append(operation.Name.PadRight(width));
            foreach (var status in statuses)
            {
                if (!operation.Responses.ContainsKey(status))
                {
                    text.Append(".".PadRight(5));
                    continue;
                }

                documented++;
                var cell = Results.TryGetValue((operation.Name, status), out var seen) ? seen : "!";
                exercised += cell is "!" or "n/a" ? 0 : 1;
                text.Append(cell.PadRight(5));
            }

            text.AppendLine();
        }

        return text.AppendLine($"{exercised} of {documented} documented (operation, status) pairs exercised on {LiveServer.Root}; "
            + $"{Results.Count(r => r.Value == "n/a")} not reachable from outside.").ToString();
    }

    private static void Record(DocumentedOperation operation, string status, string mark) =>
        Results.AddOrUpdate((operation.Name, status), mark, (_, before) => before == "n/a" ? mark : string.Concat((before + mark).Distinct().Order()));

    private static string Short(string mediaType) => mediaType switch
    {
        FhirBodies.Json => "J",
        FhirBodies.Xml => "X",
        "application/pdf" => "P",
        "application/octet-stream" => "O",
        _ => "E",
    };

    private static string Shorten(string body) => body.Length <= 600 ? body : body[..600] + " …";
}

/// <summary>Sends a probe with the media type under test in Accept; raw binary types need content of that type.</summary>
internal static class ProbeRunner
{
    public static async Task<HttpResponseMessage> SendAsync(ProbeRequest probe, string? mediaType)
    {
        using var request = new HttpRequestMessage(probe.Method, probe.Url) { Content = await InFormatAsync(probe.Content, mediaType) };
        if (probe.Token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", probe.Token);
        }

        if (mediaType is not null)
        {
            request.Headers.Accept.ParseAdd(mediaType);
        }

        // A body over the limit is refused before it is read: wait for 100-continue rather than write into a closed connection.
        request.Headers.ExpectContinue = probe.Content?.Headers.ContentLength > 1024 * 1024;

        foreach (var (name, value) in probe.Headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await LiveServer.Http.SendAsync(request);
    }

    /// <summary>Under test in XML, a FHIR JSON request body travels as FHIR XML too (a body that is not valid FHIR stays as it is).</summary>
    private static async Task<HttpContent?> InFormatAsync(HttpContent? content, string? mediaType)
    {
        if (mediaType != FhirBodies.Xml || content?.Headers.ContentType?.MediaType != FhirBodies.Json)
        {
            return content;
        }

        var json = await content.ReadAsStringAsync();
        return FhirBodies.TryToXml(json) is { } xml ? FhirBodies.Body(xml, FhirBodies.Xml) : FhirBodies.Body(json, FhirBodies.Json);
    }
}
