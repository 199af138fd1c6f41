using System.Net;
using DmpApi.Storage;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace DmpApi.Tests.Reliability;

/// <summary>A database that does not answer in time gives 503 with Retry-After and an OperationOutcome, never 500 (DESIGN §4).</summary>
public sealed class DatabaseTimeoutTests(TestStore store) : StoreFixture(store)
{
    private static readonly TimeSpan LockHeld = TimeSpan.FromSeconds(3);

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["Database:CommandTimeoutSeconds"] = "1",
    };

    [Test]
    public async Task A_write_blocked_past_the_command_timeout_answers_503_transient()
    {
        var connectionString = App.Services.GetRequiredService<IConfiguration>().GetConnectionString("Dmp")!;
        var locked = new TaskCompletionSource();
        // Another session holds the lock on the resources for longer than the command timeout, then lets go, so that
        // the audit record of the refused request can still be written.
        var holder = Task.Run(async () =>
        {
            if (Store.Provider == DatabaseProvider.PostgreSql)
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                await using var transaction = await connection.BeginTransactionAsync();
                await using var command = new NpgsqlCommand("LOCK TABLE \"Resources\" IN ACCESS EXCLUSIVE MODE", connection, transaction);
                await command.ExecuteNonQueryAsync();
                locked.SetResult();
                await Task.Delay(LockHeld);
                await transaction.RollbackAsync();
            }
            else
            {
                await using var connection = new SqliteConnection(connectionString);
                await connection.OpenAsync();
                await using var begin = new SqliteCommand("BEGIN IMMEDIATE", connection);
                await begin.ExecuteNonQueryAsync();
                locked.SetResult();
                await Task.Delay(LockHeld);
                await using var rollback = new SqliteCommand("ROLLBACK", connection);
                await rollback.ExecuteNonQueryAsync();
            }
        });
        await locked.Task;

        var response = await Fhir.CreateAsync(new PatientBuilder().Build());
        await holder;

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), response.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.Transient));
            Assert.That(response.Headers.RetryAfter, Is.Not.Null);
        });
    }
}
