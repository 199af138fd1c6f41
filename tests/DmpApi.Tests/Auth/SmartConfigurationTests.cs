using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Auth;

/// <summary>The CapabilityStatement and SMART configuration of a server with development tokens only (no OpenID Connect provider).</summary>
public sealed class SmartConfigurationTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task Without_a_provider_smart_configuration_answers_404_saying_what_to_configure()
    {
        var response = await Fhir.As(null).GetAsync(".well-known/smart-configuration");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("Auth:Authority"));
    }

    [Test]
    public async Task Without_a_provider_the_CapabilityStatement_claims_no_oauth_uris()
    {
        var statement = (await Fhir.As(null).GetAsync("fhir/metadata")).Resource<CapabilityStatement>();

        Assert.That(statement.Rest.Single().Security.GetExtension("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"), Is.Null);
    }

    [Test]
    public async Task The_CapabilityStatement_instantiates_PDSm_document_sharing_manager_and_names_its_patch_format()
    {
        var statement = (await Fhir.As(null).GetAsync("fhir/metadata")).Resource<CapabilityStatement>();

        Assert.Multiple(() =>
        {
            Assert.That(statement.Instantiates, Does.Contain("http://esante.gouv.fr/ci-sis/fhir/CapabilityStatements/PDSm.GestionnaireDePartageDeDocuments"));
            Assert.That(statement.PatchFormat, Is.SupersetOf(new[] { "application/fhir+json", "application/json-patch+json" }));
        });
    }
}
