using System.Net;
using DmpApi.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Hosting;

/// <summary>
/// The URLs the server hands out (Location, fullUrl, paging links, attachment URLs) name the public address: the configured
/// one, or the trusted proxy's forwarded scheme and host; never what an untrusted client put in its headers.
/// </summary>
public sealed class PublicUrlTests
{
    private const string TrustedProxy = "10.0.0.5";

    [Test]
    public async Task Behind_a_trusted_proxy_Location_and_fullUrl_carry_the_proxys_scheme_and_host()
    {
        await using var database = await new SqliteStore().CreateDatabaseAsync();
        await using var app = App(database, new() { ["Hosting:KnownProxies:0"] = TrustedProxy });
        var fhir = new FhirHttp(app.CreateClient(), Tokens.Professional());

        var created = await fhir.CreateAsync(new PatientBuilder().Build(), r => FromProxy(r, TrustedProxy));
        var patientId = created.Resource<Hl7.Fhir.Model.Patient>().Id;
        var search = await fhir.GetAsync($"fhir/Patient?_id={patientId}", r => FromProxy(r, TrustedProxy));

        Assert.That(created.Location?.ToString(), Does.StartWith("https://dmp.example.test/fhir/Patient/"), created.ToString());
        Assert.That(search.Resource<Hl7.Fhir.Model.Bundle>().Entry.Single().FullUrl, Is.EqualTo($"https://dmp.example.test/fhir/Patient/{patientId}"));
    }

    [Test]
    public async Task A_client_that_is_not_a_trusted_proxy_cannot_choose_the_host_of_the_links()
    {
        await using var database = await new SqliteStore().CreateDatabaseAsync();
        await using var app = App(database, new() { ["Hosting:KnownProxies:0"] = TrustedProxy });
        var fhir = new FhirHttp(app.CreateClient(), Tokens.Professional());

        var created = await fhir.CreateAsync(new PatientBuilder().Build(), r => FromProxy(r, "10.0.0.9"));

        Assert.That(created.Status, Is.EqualTo(HttpStatusCode.Created), created.ToString());
        Assert.That(created.Location?.Host, Is.Not.EqualTo("dmp.example.test"));
    }

    [Test]
    public async Task A_configured_public_base_url_wins_over_the_requests_Host_header()
    {
        await using var database = await new SqliteStore().CreateDatabaseAsync();
        await using var app = App(database, new() { ["Hosting:PublicBaseUrl"] = "https://dmp.public.test/" });
        var fhir = new FhirHttp(app.CreateClient(), Tokens.Professional());

        var created = await fhir.CreateAsync(new PatientBuilder().Build(), r => r.Headers.Host = "attacker.example");

        Assert.That(created.Location?.ToString(), Does.StartWith("https://dmp.public.test/fhir/Patient/"), created.ToString());
    }

    private static DmpApiApplication App(TestDatabase database, Dictionary<string, string?> settings) =>
        new(database, settings, services: s => s.AddSingleton<IStartupFilter, RemoteAddressFromHeader>());

    private static void FromProxy(HttpRequestMessage request, string proxyAddress)
    {
        request.Headers.Add(RemoteAddressFromHeader.Header, proxyAddress);
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "dmp.example.test");
    }

    /// <summary>The test server has no socket: this plays the connection's remote address, before anything else runs.</summary>
    private sealed class RemoteAddressFromHeader : IStartupFilter
    {
        public const string Header = "X-Test-Remote-Address";

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, following) =>
            {
                context.Connection.RemoteIpAddress = context.Request.Headers[Header] is [{ } address] ? IPAddress.Parse(address) : IPAddress.Loopback;
                return following(context);
            });
            next(app);
        };
    }
}
