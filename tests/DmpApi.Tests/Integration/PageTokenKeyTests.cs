using DmpApi.Auth;
using DmpApi.Endpoints;
using DmpApi.Search;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;

namespace DmpApi.Tests.Integration;

/// <summary>
/// Page tokens are signed with a key every instance shares (Search:PageTokenKey, else Auth:SigningKey): Production
/// refuses to start without one rather than sign with a key derived from the public identity provider's address.
/// The options are validated at start (ValidateOnStart), by the validators resolved here.
/// </summary>
public sealed class PageTokenKeyTests
{
    private const string IdentityProvider = "https://idp.example.invalid/realms/dmp";
    private const string SharedKey = "a-page-token-key-shared-by-every-instance-0123456789";

    [Test]
    public void Production_refuses_to_start_without_a_shared_page_token_key()
    {
        var refusal = Assert.Throws<OptionsValidationException>(() => SearchOptionsIn(Environments.Production, ("Auth:Authority", IdentityProvider)));

        Assert.That(refusal!.Message, Does.Contain("Search:PageTokenKey"));
    }

    [Test]
    public void Production_refuses_a_page_token_key_shorter_than_32_bytes() =>
        Assert.Throws<OptionsValidationException>(() =>
            SearchOptionsIn(Environments.Production, ("Auth:Authority", IdentityProvider), ("Search:PageTokenKey", "too-short")));

    [TestCase("Search:PageTokenKey")]
    [TestCase("Auth:SigningKey")]
    public void Production_starts_with_a_shared_key(string key) =>
        Assert.DoesNotThrow(() => SearchOptionsIn(Environments.Production, ("Auth:Authority", IdentityProvider), (key, SharedKey)));

    [Test]
    public void Development_pages_without_a_configured_key() =>
        Assert.DoesNotThrow(() => SearchOptionsIn(Environments.Development, ("Auth:Authority", IdentityProvider)));

    private static SearchOptions SearchOptionsIn(string environment, params (string Key, string Value)[] settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());
        services.AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = environment });
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section);
        services.AddFhirApi();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<SearchOptions>>().Value;
    }
}
