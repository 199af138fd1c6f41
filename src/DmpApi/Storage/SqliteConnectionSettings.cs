using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace DmpApi.Storage;

/// <summary>
/// Per-connection SQLite settings, applied once to each native connection (the pool hands the same one out again):
/// temporary tables and statement journals stay in memory. With SQLite's default they were files created, written and
/// deleted under /var/tmp several times a second while writing; they hold nothing that must survive a crash (the WAL
/// does), so durability is unchanged.
/// </summary>
public sealed class SqliteConnectionSettings : DbConnectionInterceptor
{
    private readonly ConditionalWeakTable<SQLitePCL.sqlite3, object> _configured = [];

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData) => Configure(connection);

    public override Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Configure(connection);
        return Task.CompletedTask;
    }

    private void Configure(DbConnection connection)
    {
        if (connection is not SqliteConnection { Handle: { } handle } sqlite || _configured.TryGetValue(handle, out _))
        {
            return;
        }

        using var pragma = sqlite.CreateCommand();
        pragma.CommandText = "PRAGMA temp_store=MEMORY;";
        pragma.ExecuteNonQuery();
        _configured.AddOrUpdate(handle, this);
    }
}
