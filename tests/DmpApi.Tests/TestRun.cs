using DmpApi.Tests.Infrastructure;

namespace DmpApi.Tests;

/// <summary>Run-wide teardown: stops the shared SQL Server container after the last fixture (in this namespace, so it covers them all).</summary>
[SetUpFixture]
public sealed class TestRun
{
    [OneTimeTearDown]
    public async Task StopContainersAsync() => await SqlServerContainer.StopAsync();
}
