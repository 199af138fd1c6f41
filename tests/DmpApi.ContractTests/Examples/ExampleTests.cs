using System.Text.Json.Nodes;
using DmpApi.Tests.Contract;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;
using Hl7.Fhir.Serialization;

namespace DmpApi.ContractTests.Examples;

/// <summary>
/// api-spec/examples: one valid R4 example of every resource shape the API accepts or returns. Checked offline (strict
/// parse, SDK validation, valid INS keys, one per documented schema and error code) and, against the live server, every
/// creatable example round-trips through the SDK's FhirClient in JSON and XML.
/// </summary>
public sealed class ExampleTests
{
    /// <summary>The INS every example's record carries; a round trip swaps in a fresh record's INS.</summary>
    private const string ExampleIns = "255081416802538";

    private static readonly string Folder = Repository.File("api-spec", "examples");

    private static IEnumerable<string> Files() => Directory.GetFiles(Folder, "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    /// <summary>Examples a client sends (the others are what the server alone writes: Bundle, AuditEvent, Communication, Binary, OperationOutcome; List and Parameters go inside a transaction or a PATCH).</summary>
    private static IEnumerable<string> Creatable() =>
        Files().Where(f => f.Split('-')[0] is "Patient" or "DocumentReference" or "AllergyIntolerance" or "Consent" or "Condition" or "MedicationStatement" or "Immunization" or "Observation" or "RelatedPerson"
            || f.StartsWith("Bundle-transaction-provide", StringComparison.Ordinal));

    private static IEnumerable<TestCaseData> RoundTrips() =>
        Creatable().SelectMany(f => new[] { ResourceFormat.Json, ResourceFormat.Xml }.Select(format => new TestCaseData(f, format)));

    [TestCaseSource(nameof(Files))]
    public void Example_is_strict_R4_and_passes_SDK_validation(string file) =>
        FhirBodies.ParseValid(File.ReadAllText(Path.Combine(Folder, file)), FhirBodies.Json, file);

    [TestCaseSource(nameof(Files))]
    public void Every_INS_in_the_example_has_a_valid_key(string file)
    {
        var insValues = Descendants(JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, file)))!)
            .OfType<JsonObject>()
            .Where(o => o["system"]?.GetValue<string>() == InsNir.System && o["value"] is not null)
            .Select(o => o["value"]!.GetValue<string>())
            .ToList();

        Assert.That(insValues.Where(v => !InsNir.IsValid(v)), Is.Empty, "INS-NIR key = 97 − (first 13 digits mod 97) (DMP-RULES §1)");
    }

    [Test]
    public void Every_schema_of_the_OpenAPI_document_has_an_example()
    {
        var schemas = JsonNode.Parse(File.ReadAllText(Repository.File("api-spec", "openapi.json")))!["components"]!["schemas"]!.AsObject()
            .Select(s => s.Key)
            .Where(s => s != "CapabilityStatement") // the whole one is api-spec/CapabilityStatement.json
            .Where(s => s != "SmartConfigurationDocument"); // SMART's JSON, not a FHIR resource: tests/DmpApi.Tests/Auth/ProSanteConnectTests.cs checks it
        var shapes = Files().Select(f => f.Split('-')[0]).ToHashSet();

        Assert.That(schemas.Where(s => !shapes.Contains(s)), Is.Empty, "Add api-spec/examples/<Type>-<what>.json for these schemas");
    }

    [Test]
    public void Every_error_status_the_OpenAPI_document_lists_has_an_OperationOutcome_example()
    {
        var statuses = OpenApiDrift.Operations(JsonNode.Parse(File.ReadAllText(Repository.File("api-spec", "openapi.json")))!)
            .SelectMany(o => o.Operation["responses"]!.AsObject().Select(r => r.Key))
            .Where(code => code[0] is '4' or '5').Distinct().Order();
        var examples = Files().Where(f => f.StartsWith("OperationOutcome-", StringComparison.Ordinal)).Select(f => f.Split('-')[1]).ToHashSet();

        Assert.That(statuses.Where(s => !examples.Contains(s)), Is.Empty, "Add api-spec/examples/OperationOutcome-<status>-<issue code>.json");
    }

    [Test]
    public void Each_kind_of_DMP_consent_has_an_example()
    {
        var consents = Files().Where(f => f.StartsWith("Consent-", StringComparison.Ordinal))
            .Select(f => (Consent)FhirBodies.ParseValid(File.ReadAllText(Path.Combine(Folder, f)), FhirBodies.Json, f))
            .Select(c => (c.Provision?.Type, Actor: c.Provision?.Actor.Count > 0, Purpose: c.Provision?.Purpose.FirstOrDefault()?.Code))
            .ToList();

        // DMP-RULES §5: permit for a professional, block a professional, oppose bris de glace, oppose centre 15.
        Assert.That(consents, Is.SupersetOf(new[]
        {
            (Consent.ConsentProvisionType.Permit, true, "TREAT"),
            (Consent.ConsentProvisionType.Deny, true, (string?)null),
            (Consent.ConsentProvisionType.Deny, false, "BTG"),
            (Consent.ConsentProvisionType.Deny, false, "ETREAT"),
        }.Select(c => ((Consent.ConsentProvisionType?)c.Item1, c.Item2, c.Item3))));
    }

    [TestCaseSource(nameof(RoundTrips))]
    public async Task Creatable_example_round_trips_through_the_FHIR_client(string file, ResourceFormat format)
    {
        var professional = LiveServer.Professional();
        var text = await File.ReadAllTextAsync(Path.Combine(Folder, file));
        // Each run its own record: a fresh INS in place of the example's.
        var ins = InsNir.Random();
        var sent = FhirBodies.ParseValid(text.Replace(ExampleIns, ins), FhirBodies.Json, file);
        // Each run its own uniqueIds too: a document's uniqueId is registered once (XDSDuplicateUniqueIdInRegistry).
        foreach (var deposited in (sent is Bundle bundle ? bundle.Entry.Select(e => e.Resource) : [sent]).OfType<DocumentReference>())
        {
            deposited.MasterIdentifier?.Value = $"urn:uuid:{Guid.NewGuid()}";
        }

        if (sent is not Patient)
        {
            // Opened by the professional, who thereby holds a permit on it (DMP-RULES §3).
            await LiveServer.Client(professional).CreateAsync(
                new Patient { Identifier = [new Identifier(InsNir.System, ins)], Name = [new HumanName { Family = "CONTRAT" }] });
        }

        // Only the patient blocks a professional or opposes an emergency mode (DMP-RULES §3).
        var client = LiveServer.Client(sent is Consent { Provision.Type: Consent.ConsentProvisionType.Deny } ? LiveServer.Patient(ins) : professional, format);
        if (sent is Bundle transaction)
        {
            await AssertPublishedAsync(client, transaction, professional);
            return;
        }

        var created = await client.CreateAsync(sent);

        var read = await client.ReadAsync<Resource>($"{sent.TypeName}/{created!.Id}");

        Assert.That(read, Is.Not.Null);
        AssertSame(FhirBodies.ToJson(sent), FhirBodies.ToJson(read!), file);
        if (sent is DocumentReference document)
        {
            await AssertContentIsServedAsync(document, (DocumentReference)read!, professional);
        }
    }

    /// <summary>
    /// IHE MHD ITI-65 at the base (DESIGN §4): every DocumentReference of the Bundle reads back as sent, its content
    /// served from the Binary entry it pointed to.
    /// </summary>
    private static async Task AssertPublishedAsync(FhirClient client, Bundle transaction, string token)
    {
        var response = await client.TransactionAsync(transaction);
        var sentDocuments = transaction.Entry.Select(e => e.Resource).OfType<DocumentReference>().ToList();
        var locations = response!.Entry.Select(e => e.Response?.Location).Where(l => l?.StartsWith("DocumentReference/", StringComparison.Ordinal) == true).ToList();

        Assert.That(locations, Has.Count.EqualTo(sentDocuments.Count), "one created DocumentReference per document of the Bundle");
        foreach (var (sent, location) in sentDocuments.Zip(locations))
        {
            var read = await client.ReadAsync<DocumentReference>(string.Join('/', location!.Split('/').Take(2)));
            AssertSame(FhirBodies.ToJson(sent), FhirBodies.ToJson(read!), "Bundle-transaction-provide-document.json");
            var binaryEntry = transaction.Entry.Single(e => e.FullUrl == sent.Content[0].Attachment.Url);
            var withData = (DocumentReference)sent.DeepCopy();
            withData.Content[0].Attachment.Data = (binaryEntry.Resource as Binary)?.Data;
            await AssertContentIsServedAsync(withData, read!, token);
        }
    }

    private static void AssertSame(JsonObject sent, JsonObject read, string file)
    {
        var expected = Comparable(sent.DeepClone().AsObject(), sent: null);
        var actual = Comparable(read, sent);
        Assert.That(JsonNode.DeepEquals(expected, actual), Is.True, () =>
        {
            var (pointer, before, after) = OpenApiDrift.FirstDifference(expected, actual, string.Empty)!.Value;
            return $"{file} came back different at {pointer}: sent {OpenApiDrift.Show(before)}, read {OpenApiDrift.Show(after)}";
        });
    }

    /// <summary>The inline bytes moved to a Binary (DESIGN §4): the attachment's url serves them unchanged, with their content type.</summary>
    private static async Task AssertContentIsServedAsync(DocumentReference sent, DocumentReference read, string token)
    {
        var attachment = read.Content[0].Attachment;
        using var request = new HttpRequestMessage(HttpMethod.Get, attachment.Url);
        request.Headers.Authorization = new("Bearer", token);
        using var response = await LiveServer.Http.SendAsync(request);

        Assert.Multiple(async () =>
        {
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo(sent.Content[0].Attachment.ContentType));
            Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.EqualTo(sent.Content[0].Attachment.Data));
        });
    }

    /// <summary>
    /// What a round trip must keep: everything but what the server assigns (id, meta), the content it moved to a Binary
    /// (attachment data → url, size, hash) and the literal reference it resolved from the record's INS.
    /// </summary>
    private static JsonObject Comparable(JsonObject resource, JsonObject? sent)
    {
        resource.Remove("id");
        resource.Remove("meta");
        foreach (var content in resource["content"]?.AsArray() ?? [])
        {
            if (content?["attachment"] is JsonObject attachment)
            {
                foreach (var assigned in new[] { "data", "url", "size", "hash" })
                {
                    attachment.Remove(assigned);
                }
            }
        }

        foreach (var name in new[] { "subject", "patient" })
        {
            if (sent is not null && resource[name] is JsonObject reference && sent[name]?["reference"] is null)
            {
                reference.Remove("reference");
            }
        }

        return resource;
    }

    private static IEnumerable<JsonNode> Descendants(JsonNode node) =>
        node switch
        {
            JsonObject o => new[] { node }.Concat(o.SelectMany(p => p.Value is null ? [] : Descendants(p.Value))),
            JsonArray a => a.SelectMany(i => i is null ? [] : Descendants(i)),
            _ => [],
        };
}
