using DmpApi.Auth;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Infrastructure;

/// <summary>
/// The real application over a test database, configured only through configuration keys (DESIGN §1, §3), in the
/// "Testing" environment; migrations run at start as in production.
/// </summary>
public sealed class DmpApiApplication(
    TestDatabase database, IReadOnlyDictionary<string, string?>? settings = null, TimeProvider? clock = null, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    /// <summary>The development-token settings of every test application; tokens are minted with the same values.</summary>
    public static readonly AuthOptions Auth = new()
    {
        SigningKey = "dmpapi-tests-signing-key-0123456789-abcdefghijklmnop",
        Issuer = "dmpapi-tests",
        Audience = "dmpapi-tests-audience",
    };

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("Database:Provider", database.Provider.ToString());
        builder.UseSetting("ConnectionStrings:Dmp", database.ConnectionString);
        builder.UseSetting("Database:MigrateOnStartup", "true"); // the fresh database gets its schema as production does
        builder.UseSetting("Auth:SigningKey", Auth.SigningKey);
        builder.UseSetting("Auth:Issuer", Auth.Issuer);
        builder.UseSetting("Auth:Audience", Auth.Audience);
        // Expected 4xx answers are logged at Debug; warnings and errors still show in a failing test's output.
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        // Tests drive one requester at full speed: rate limiting is off unless a fixture's settings turn it on.
        builder.UseSetting("RateLimits:Enabled", "false");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        if (clock is not null)
        {
            // Time-bound rules (one-month invisibility, two-week notification) run on the test's clock.
            builder.ConfigureTestServices(s => s.AddSingleton(clock));
        }

        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
    }
}
