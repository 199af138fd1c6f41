using System.Text.Json.Nodes;
using DmpApi.Tests.Contract;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace DmpApi.ContractTests.Spec;

/// <summary>
/// The live server serves exactly the committed contract (api-spec/): the OpenAPI document behind Swagger UI and the
/// CapabilityStatement. A drift fails with what changed and how to regenerate (api-spec/README.md).
/// </summary>
public sealed class SpecDriftTests
{
    private const string Regenerate = "If the change is intended, run scripts/update-api-spec.sh and commit api-spec/; "
        + "a removed or renamed path, parameter, response code, media type or required field breaks clients (api-spec/README.md).";

    [Test]
    public async Task The_served_OpenAPI_document_is_the_committed_api_spec()
    {
        var served = JsonNode.Parse(await LiveServer.Http.GetStringAsync(LiveServer.Root + "/swagger/v1/swagger.json"))!;
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(Repository.File("api-spec", "openapi.json")))!;

        Assert.That(JsonNode.DeepEquals(committed, served), Is.True, () => OpenApiDrift.Describe(committed, served) + Regenerate);
    }

    [Test]
    public async Task The_served_CapabilityStatement_is_the_committed_one_up_to_base_url_version_and_date()
    {
        using var response = await LiveServer.Http.GetAsync(LiveServer.FhirBase + "/metadata");
        var text = await response.Content.ReadAsStringAsync();
        FhirBodies.ParseValid(text, FhirBodies.Json, "GET /fhir/metadata");
        var served = CapabilityStatementNormalisation.Normalise(JsonNode.Parse(text)!);
        var committed = CapabilityStatementNormalisation.Normalise(JsonNode.Parse(await File.ReadAllTextAsync(Repository.File("api-spec", "CapabilityStatement.json")))!);

        Assert.That(JsonNode.DeepEquals(committed, served), Is.True, () => CapabilityStatementDrift.Describe(committed, served) + Regenerate);
    }

    [Test]
    public async Task The_SDK_client_reads_the_CapabilityStatement_as_FHIR_4_0_1()
    {
        var statement = await LiveServer.Client(LiveServer.Professional()).CapabilityStatementAsync();

        Assert.Multiple(() =>
        {
            Assert.That(statement?.FhirVersion, Is.EqualTo(FHIRVersion.N4_0_1));
            Assert.That(statement?.Rest.SelectMany(r => r.Resource).Select(r => r.Type), Does.Contain("DocumentReference"));
        });
    }
}
