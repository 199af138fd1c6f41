using DmpApi.Storage;
using Npgsql;

namespace DmpApi.Tests.Unit;

/// <summary>
/// The hot statements are prepared on each PostgreSQL connection and run on generic plans, and a pooled connection is
/// not reset per request.
/// </summary>
public sealed class PostgreSqlConnectionTests
{
    [Test]
    public void Connections_prepare_the_hot_statements_and_skip_the_reset_by_default()
    {
        var settings = new NpgsqlConnectionStringBuilder(StorageRegistration.PostgreSqlConnectionString("Host=db;Username=dmp;Database=dmp"));

        Assert.That(settings.MaxAutoPrepare, Is.GreaterThan(0));
        Assert.That(settings.NoResetOnClose, Is.True);
        Assert.That(settings.Options, Is.EqualTo("-c plan_cache_mode=force_generic_plan"));
        Assert.That(settings.Host, Is.EqualTo("db"));
    }

    [Test]
    public void Server_options_of_the_connection_string_are_kept_beside_generic_plans()
    {
        var settings = new NpgsqlConnectionStringBuilder(
            StorageRegistration.PostgreSqlConnectionString("Host=db;Username=dmp;Database=dmp;Options=-c statement_timeout=5000"));

        Assert.That(settings.Options, Is.EqualTo("-c statement_timeout=5000 -c plan_cache_mode=force_generic_plan"));
    }

    [Test]
    public void A_connection_string_that_chooses_its_plan_cache_mode_keeps_it()
    {
        var settings = new NpgsqlConnectionStringBuilder(
            StorageRegistration.PostgreSqlConnectionString("Host=db;Username=dmp;Database=dmp;Options=-c plan_cache_mode=auto"));

        Assert.That(settings.Options, Is.EqualTo("-c plan_cache_mode=auto"));
    }

    [Test]
    public async Task A_PostgreSQL_session_opened_with_the_default_runs_generic_plans()
    {
        if (Environment.GetEnvironmentVariable(Infrastructure.TestStores.PostgresVariable) is not { Length: > 0 } server)
        {
            Assert.Ignore($"{Infrastructure.TestStores.PostgresVariable} is not set: no PostgreSQL server to open a session on.");
            return;
        }

        await using var connection = new NpgsqlConnection(StorageRegistration.PostgreSqlConnectionString(server));
        await connection.OpenAsync();
        await using var show = new NpgsqlCommand("SHOW plan_cache_mode", connection);

        Assert.That(await show.ExecuteScalarAsync(), Is.EqualTo("force_generic_plan"));
    }

    [Test]
    public void A_connection_string_that_sets_them_keeps_its_own_values()
    {
        var settings = new NpgsqlConnectionStringBuilder(
            StorageRegistration.PostgreSqlConnectionString("Host=db;Username=dmp;Database=dmp;Max Auto Prepare=0;No Reset On Close=false"));

        Assert.That(settings.MaxAutoPrepare, Is.Zero);
        Assert.That(settings.NoResetOnClose, Is.False);
    }
}
