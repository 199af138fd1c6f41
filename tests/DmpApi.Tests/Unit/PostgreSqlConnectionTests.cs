using DmpApi.Storage;
using Npgsql;

namespace DmpApi.Tests.Unit;

/// <summary>The hot statements are prepared on each PostgreSQL connection, and a pooled connection is not reset per request.</summary>
public sealed class PostgreSqlConnectionTests
{
    [Test]
    public void Connections_prepare_the_hot_statements_and_skip_the_reset_by_default()
    {
        var settings = new NpgsqlConnectionStringBuilder(StorageRegistration.PostgreSqlConnectionString("Host=db;Username=dmp;Database=dmp"));

        Assert.That(settings.MaxAutoPrepare, Is.GreaterThan(0));
        Assert.That(settings.NoResetOnClose, Is.True);
        Assert.That(settings.Host, Is.EqualTo("db"));
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
