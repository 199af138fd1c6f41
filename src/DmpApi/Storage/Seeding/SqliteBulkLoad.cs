using System.Data.Common;
using System.Globalization;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Storage.Seeding;

/// <summary>
/// The seeding connection's settings for a bulk load into SQLite, undone by <see cref="FinishAsync"/>: no fsync per
/// commit (synchronous=OFF), a large page cache, and, when the database held no resource before, the secondary indexes
/// of the tables it fills dropped and built again at the end from their own SQL (a sort beats a million random inserts).
/// Safe because seeding is redone from scratch if it fails: a power loss mid-seed may lose or corrupt the file, and a
/// seed killed before the end leaves those indexes missing; delete the file and seed again. Other connections keep
/// their own settings (synchronous is per connection: the API's stay FULL) and the file stays in WAL mode.
/// </summary>
internal sealed class SqliteBulkLoad
{
    /// <summary>Page cache of the seeding connection, in KiB (SQLite's negative cache_size): the unique indexes on random ids stay in memory.</summary>
    private const int CacheKiB = 512 * 1024;

    private static readonly Type[] Filled =
        [typeof(ResourceRow), typeof(TokenIndexRow), typeof(StringIndexRow), typeof(DateIndexRow), typeof(ReferenceIndexRow), typeof(BinaryRow), typeof(PatientIdentityRow)];

    private readonly DmpDbContext _db;
    private readonly DbConnection _connection;
    private readonly string _synchronous;
    private readonly string _cacheSize;
    private readonly string _threads;
    private readonly List<(string Name, string Sql)> _dropped;

    private SqliteBulkLoad(DmpDbContext db, DbConnection connection, string synchronous, string cacheSize, string threads, List<(string Name, string Sql)> dropped)
    {
        _db = db;
        _connection = connection;
        _synchronous = synchronous;
        _cacheSize = cacheSize;
        _threads = threads;
        _dropped = dropped;
    }

    /// <summary>Names of the secondary indexes dropped for the load, to be built again by <see cref="FinishAsync"/>.</summary>
    public IReadOnlyList<string> DroppedIndexes => _dropped.Select(d => d.Name).ToList();

    /// <summary>Applies the bulk-load settings to <paramref name="db"/>'s connection, which stays open until <see cref="FinishAsync"/>.</summary>
    public static async Task<SqliteBulkLoad> BeginAsync(DmpDbContext db, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        var connection = db.Database.GetDbConnection();
        var synchronous = await ScalarAsync(connection, "PRAGMA synchronous", ct);
        var cacheSize = await ScalarAsync(connection, "PRAGMA cache_size", ct);
        var threads = await ScalarAsync(connection, "PRAGMA threads", ct);
        await ExecuteAsync(connection, $"PRAGMA synchronous=OFF; PRAGMA cache_size=-{CacheKiB.ToString(CultureInfo.InvariantCulture)}", ct);

        var dropped = new List<(string, string)>();
        var resources = db.Model.FindEntityType(typeof(ResourceRow))!.GetTableName();
        if (await ScalarAsync(connection, $"SELECT EXISTS (SELECT 1 FROM \"{resources}\")", ct) == "0")
        {
            // Only into an empty database: dropping the indexes of a database in use would slow every reader until the end.
            var tables = string.Join(", ", Filled.Select(t => $"'{db.Model.FindEntityType(t)!.GetTableName()}'"));
            await using (var read = connection.CreateCommand())
            {
                // Unique indexes stay: they enforce the one-version-per-id and one-record-per-INS rules during the load.
                read.CommandText = $"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ({tables}) ORDER BY name";
                await using var reader = await read.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    dropped.Add((reader.GetString(0), reader.GetString(1)));
                }
            }

            foreach (var (name, _) in dropped)
            {
                await ExecuteAsync(connection, $"DROP INDEX \"{name}\"", ct);
            }
        }

        return new SqliteBulkLoad(db, connection, synchronous, cacheSize, threads, dropped);
    }

    /// <summary>Builds the dropped indexes again, folds the WAL into the file, gives the connection its settings back and closes it.</summary>
    public async Task FinishAsync(CancellationToken ct)
    {
        // Sorting a large index uses worker threads when allowed to (PRAGMA threads), and the page cache above.
        await ExecuteAsync(_connection, $"PRAGMA threads={Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)}", ct);
        foreach (var (_, sql) in _dropped)
        {
            await ExecuteAsync(_connection, sql, ct);
        }

        _dropped.Clear();
        await ExecuteAsync(_connection, "PRAGMA wal_checkpoint(TRUNCATE)", ct);
        await ExecuteAsync(_connection, $"PRAGMA synchronous={_synchronous}; PRAGMA cache_size={_cacheSize}; PRAGMA threads={_threads}", ct);
        await _db.Database.CloseConnectionAsync();
    }

    private static async Task<string> ScalarAsync(DbConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture) ?? string.Empty;
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }
}
