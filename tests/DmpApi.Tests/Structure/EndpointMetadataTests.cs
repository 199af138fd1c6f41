using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Tests.Infrastructure;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Structure;

/// <summary>
/// DESIGN §2: no read path may reach the store without an access scope. Every mapped /fhir endpoint but metadata
/// declares its FHIR operation (read by the scope filter and the audit trail) and requires an authenticated requester.
/// </summary>
public sealed class EndpointMetadataTests
{
    private TestDatabase? _database;
    private DmpApiApplication? _app;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _database = await new SqliteStore().CreateDatabaseAsync();
        _app = new DmpApiApplication(_database);
        _app.CreateClient().Dispose(); // starts the host, so that every endpoint is mapped
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }

    [Test]
    public void Every_fhir_endpoint_but_metadata_declares_its_FhirOperation_and_requires_authorization()
    {
        var endpoints = FhirEndpoints();
        var unprotected = endpoints
            .Where(e => !AnonymousMetadata.Contains(e.RoutePattern.RawText))
            .Where(e => e.Metadata.GetMetadata<FhirOperation>() is null
                || e.Metadata.GetOrderedMetadata<IAuthorizeData>().Count == 0
                || e.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            .Select(e => e.DisplayName);

        Assert.Multiple(() =>
        {
            Assert.That(endpoints, Has.Count.GreaterThan(20), "every resource type's interactions should be mapped");
            Assert.That(unprotected, Is.Empty);
        });
    }

    [Test]
    public void Metadata_and_the_SMART_configuration_are_the_only_anonymous_fhir_endpoints()
    {
        var anonymous = FhirEndpoints().Where(e => e.Metadata.GetMetadata<IAllowAnonymous>() is not null).Select(e => e.RoutePattern.RawText);

        Assert.That(anonymous.Order(StringComparer.Ordinal), Is.EqualTo(AnonymousMetadata));
    }

    /// <summary>What a client reads before it has a token: the CapabilityStatement and where to get a token (SMART App Launch).</summary>
    internal static readonly string[] AnonymousMetadata = ["/fhir/.well-known/smart-configuration", "/fhir/metadata"];

    [TestCase("GET", "/fhir/metadata", "CapabilityStatement", FhirInteraction.Capabilities)]
    [TestCase("GET", "/fhir/DocumentReference/", "DocumentReference", FhirInteraction.Search)]
    [TestCase("POST", "/fhir/DocumentReference/_search", "DocumentReference", FhirInteraction.Search)]
    [TestCase("POST", "/fhir/DocumentReference/", "DocumentReference", FhirInteraction.Create)]
    [TestCase("GET", "/fhir/DocumentReference/{id}", "DocumentReference", FhirInteraction.Read)]
    [TestCase("GET", "/fhir/DocumentReference/{id}/_history/{vid}", "DocumentReference", FhirInteraction.VRead)]
    [TestCase("GET", "/fhir/DocumentReference/{id}/_history", "DocumentReference", FhirInteraction.History)]
    [TestCase("PUT", "/fhir/DocumentReference/{id}", "DocumentReference", FhirInteraction.Update)]
    [TestCase("PATCH", "/fhir/DocumentReference/{id}", "DocumentReference", FhirInteraction.Patch)]
    [TestCase("DELETE", "/fhir/Consent/{id}", "Consent", FhirInteraction.Delete)]
    [TestCase("POST", "/fhir/", "Bundle", FhirInteraction.Transaction)]
    [TestCase("GET", "/fhir/Binary/{id}", "Binary", FhirInteraction.Read)]
    [TestCase("GET", "/fhir/AuditEvent/", "AuditEvent", FhirInteraction.Search)]
    public void An_endpoint_declares_the_full_interaction_it_performs(string method, string route, string type, FhirInteraction interaction)
    {
        var endpoint = FhirEndpoints().Single(e => e.RoutePattern.RawText?.TrimEnd('/') == route.TrimEnd('/')
            && e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods.Contains(method) == true);

        Assert.That(endpoint.Metadata.GetMetadata<FhirOperation>(), Is.EqualTo(new FhirOperation(type, interaction)));
    }

    private List<RouteEndpoint> FhirEndpoints() =>
        _app!.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/fhir", StringComparison.Ordinal) == true)
            .ToList();
}
