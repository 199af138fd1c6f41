using System.Net.Sockets;
using DmpApi.Storage;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Testcontainers.MsSql;

namespace DmpApi.Tests.Infrastructure;

/// <summary>
/// The databases the integration fixtures run on (DESIGN §6): SQLite always, PostgreSQL when DMP_TEST_POSTGRES holds a
/// server connection string, SQL Server through Testcontainers when a Docker engine answers.
/// </summary>
public static class TestStores
{
    public const string PostgresVariable = "DMP_TEST_POSTGRES";

    /// <summary>Called once per fixture class by NUnit, so each fixture gets store instances of its own.</summary>
    public static IEnumerable<TestFixtureData> All()
    {
        yield return new TestFixtureData(new SqliteStore()).SetArgDisplayNames(nameof(DatabaseProvider.Sqlite));
        yield return new TestFixtureData(new PostgreSqlStore()).SetArgDisplayNames(nameof(DatabaseProvider.PostgreSql));
        yield return new TestFixtureData(new SqlServerStore()).SetArgDisplayNames(nameof(DatabaseProvider.SqlServer));
    }
}

/// <summary>One kind of database; hands each fixture a fresh, empty database of its own.</summary>
public abstract class TestStore
{
    public abstract DatabaseProvider Provider { get; }

    /// <summary>Creates the fixture's database, or calls <see cref="Assert.Ignore(string)"/> with the reason this store cannot run here.</summary>
    public abstract Task<TestDatabase> CreateDatabaseAsync();

    public override string ToString() => Provider.ToString();

    private static readonly HashSet<string> Announced = [];

    /// <summary>Skips the fixture with its reason, and says the reason once on the console, where a skipped test's reason is not shown.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    protected static void Skip(string reason)
    {
        lock (Announced)
        {
            if (Announced.Add(reason))
            {
                TestContext.Progress.WriteLine($"SKIPPED: {reason}");
            }
        }

        Assert.Ignore(reason);
    }
}

/// <summary>A database created for one fixture; disposing it deletes it.</summary>
public sealed class TestDatabase(DatabaseProvider provider, string connectionString, Func<Task> drop) : IAsyncDisposable
{
    public DatabaseProvider Provider { get; } = provider;
    public string ConnectionString { get; } = connectionString;

    /// <summary>A context of its own on the database, outside any application (to inspect or tamper with what servers wrote).</summary>
    public DmpDbContext Open() => Provider switch
    {
        DatabaseProvider.Sqlite => new SqliteDmpDbContext(new DbContextOptionsBuilder<SqliteDmpDbContext>().UseSqlite(ConnectionString).Options),
        DatabaseProvider.PostgreSql => new PostgreSqlDmpDbContext(new DbContextOptionsBuilder<PostgreSqlDmpDbContext>().UseNpgsql(ConnectionString).Options),
        _ => new SqlServerDmpDbContext(new DbContextOptionsBuilder<SqlServerDmpDbContext>().UseSqlServer(ConnectionString).Options),
    };

    public async ValueTask DisposeAsync() => await drop();
}

public sealed class SqliteStore : TestStore
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;

    public override Task<TestDatabase> CreateDatabaseAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "dmpapi-tests");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, $"dmp_test_{Guid.NewGuid():N}.db");
        var connectionString = new SqliteConnectionStringBuilder { DataSource = file, Pooling = true }.ToString();
        return Task.FromResult(new TestDatabase(Provider, connectionString, () =>
        {
            // Pooled connections keep the file open: release them before deleting it and its WAL files.
            using (var connection = new SqliteConnection(connectionString))
            {
                SqliteConnection.ClearPool(connection);
            }

            foreach (var path in new[] { file, file + "-wal", file + "-shm" })
            {
                File.Delete(path);
            }

            return Task.CompletedTask;
        }));
    }
}

public sealed class PostgreSqlStore : TestStore
{
    public override DatabaseProvider Provider => DatabaseProvider.PostgreSql;

    public override async Task<TestDatabase> CreateDatabaseAsync()
    {
        var server = Environment.GetEnvironmentVariable(TestStores.PostgresVariable);
        if (string.IsNullOrWhiteSpace(server))
        {
            Skip($"PostgreSQL tests skipped: set {TestStores.PostgresVariable} to a server connection string " +
                "(e.g. eval \"$(scripts/postgres-test-server.sh start)\").");
        }

        var name = $"dmp_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
        return new TestDatabase(Provider, connectionString, async () =>
        {
            await using (var pooled = new NpgsqlConnection(connectionString))
            {
                NpgsqlConnection.ClearPool(pooled);
            }

            await using var connection = new NpgsqlConnection(server);
            await connection.OpenAsync();
            // FORCE (PostgreSQL 13+) ends any session a test left behind.
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync();
        });
    }
}

public sealed class SqlServerStore : TestStore
{
    public override DatabaseProvider Provider => DatabaseProvider.SqlServer;

    public override async Task<TestDatabase> CreateDatabaseAsync()
    {
        var (container, reason) = await SqlServerContainer.StartedAsync();
        if (container is null)
        {
            Skip($"SQL Server tests skipped: {reason}");
        }

        var server = container.GetConnectionString();
        var name = $"dmp_test_{Guid.NewGuid():N}";
        await using (var connection = new SqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new SqlCommand($"CREATE DATABASE [{name}]", connection);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new SqlConnectionStringBuilder(server) { InitialCatalog = name }.ToString();
        return new TestDatabase(Provider, connectionString, async () =>
        {
            await using (var pooled = new SqlConnection(connectionString))
            {
                SqlConnection.ClearPool(pooled);
            }

            await using var connection = new SqlConnection(server);
            await connection.OpenAsync();
            await using var drop = new SqlCommand(
                $"ALTER DATABASE [{name}] SET SINGLE_USER WITH ROLLBACK IMMEDIATE; DROP DATABASE [{name}]", connection);
            await drop.ExecuteNonQueryAsync();
        });
    }
}

/// <summary>
/// One SQL Server container for the whole run (starting one takes tens of seconds), each fixture in a database of its own.
/// Docker is probed first with a short timeout, so that a machine without it skips at once instead of hanging.
/// </summary>
internal static class SqlServerContainer
{
    private const string Image = "mcr.microsoft.com/mssql/server:2022-CU14-ubuntu-22.04";
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static (MsSqlContainer? Container, string? Reason)? _started;

    public static async Task<(MsSqlContainer? Container, string? Reason)> StartedAsync()
    {
        await Gate.WaitAsync();
        try
        {
            return _started ??= await StartAsync();
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task StopAsync()
    {
        if (_started is { Container: { } container })
        {
            await container.DisposeAsync();
        }
    }

    private static async Task<(MsSqlContainer?, string?)> StartAsync()
    {
        if (await DockerEngine.WhyUnavailableAsync() is { } reason)
        {
            return (null, reason);
        }

        var container = new MsSqlBuilder(Image).Build();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await container.StartAsync(timeout.Token);
            return (container, null);
        }
        catch (Exception e)
        {
            await container.DisposeAsync();
            return (null, $"Docker answers, but the {Image} container did not start: {e.GetType().Name}: {e.Message}");
        }
    }
}

/// <summary>Asks the Docker engine for /_ping (DOCKER_HOST, or the default unix socket), giving up after a few seconds.</summary>
internal static class DockerEngine
{
    public static async Task<string?> WhyUnavailableAsync()
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        string? socketPath = null;
        Uri baseAddress;
        if (string.IsNullOrEmpty(host) || host.StartsWith("unix://", StringComparison.Ordinal))
        {
            socketPath = string.IsNullOrEmpty(host) ? "/var/run/docker.sock" : host["unix://".Length..];
            if (!File.Exists(socketPath))
            {
                return $"no Docker engine: {socketPath} does not exist (and DOCKER_HOST is not set).";
            }

            baseAddress = new Uri("http://docker/");
        }
        else if (host.StartsWith("tcp://", StringComparison.Ordinal))
        {
            baseAddress = new Uri("http://" + host["tcp://".Length..].TrimEnd('/') + "/");
        }
        else
        {
            return $"DOCKER_HOST '{host}' is neither unix:// nor tcp://.";
        }

        var handler = new SocketsHttpHandler();
        if (socketPath is not null)
        {
            handler.ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        using var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await http.GetAsync("_ping");
            return response.IsSuccessStatusCode ? null : $"the Docker engine at {host ?? socketPath} answered {(int)response.StatusCode} to /_ping.";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or SocketException)
        {
            return $"the Docker engine at {host ?? socketPath} does not answer ({e.Message}).";
        }
    }
}
