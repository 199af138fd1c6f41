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
        foreach (var (path, method, operation) in OpenApiDrift.Operations(_served).Where(o => o.Path.StartsWith("/fhir", StringComparison.Ordinal)))
        {
            var name = $"{method.ToUpperInvariant()} {path}";
            var codes = operation["responses"]?.AsObject().Select(r => r.Key).ToList() ?? [];
            if (string.IsNullOrWhiteSpace(operation["summary"]?.GetValue<string>()))
            {
                problems.Add($"{name}: no summary (WithSummary on the endpoint)");
            }

            // An interaction the DMP refuses to everyone (DELETE Patient: close the record instead) documents its 405 instead.
            if (!codes.Any(c => c.StartsWith('2')) && !codes.Contains("405"))
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
            Assert.That(OpenApiDrift.Operations(_served).Count(o => o.Path.StartsWith("/fhir", StringComparison.Ordinal)), Is.GreaterThan(0), "No /fhir operation is documented.");
            Assert.That(problems, Is.Empty, () => string.Join(Environment.NewLine, problems));
        });
    }

    [Test]
    public void A_bearer_token_is_required_everywhere_but_the_CapabilityStatement_and_the_SMART_configuration()
    {
        var scheme = _served["components"]?["securitySchemes"]?["bearer"];
        var unsecured = OpenApiDrift.Operations(_served)
            .Where(o => o.Path.StartsWith("/fhir", StringComparison.Ordinal) && o.Path is not ("/fhir/metadata" or "/fhir/.well-known/smart-configuration"))
            .Where(o => o.Operation["security"]?.AsArray().Any(r => r?["bearer"] is not null) != true)
            .Select(o => $"{o.Method.ToUpperInvariant()} {o.Path}")
            .ToList();

        Assert.Multiple(() =>
        {
            Assert.That(scheme?["type"]?.GetValue<string>(), Is.EqualTo("http"), "components.securitySchemes.bearer");
            Assert.That(scheme?["scheme"]?.GetValue<string>(), Is.EqualTo("bearer"), "components.securitySchemes.bearer");
            Assert.That(unsecured, Is.Empty, "Operations without the bearer requirement");
            Assert.That(_served["paths"]?["/fhir/metadata"]?["get"]?["security"], Is.Null, "/fhir/metadata needs no token");
            Assert.That(_served["paths"]?["/fhir/.well-known/smart-configuration"]?["get"]?["security"], Is.Null, "where to get a token needs no token");
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
}
