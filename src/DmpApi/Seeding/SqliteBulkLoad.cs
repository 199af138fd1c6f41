using System.Data.Common;
using System.Globalization;
using DmpApi.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Seeding;

/// <summary>
/// A bulk load into an empty SQLite database, undone by <see cref="FinishAsync"/>: the rollback journal in memory instead
/// of the WAL (each page written once, not to the WAL and again at checkpoint), no fsync (synchronous=OFF), a large page
/// cache on the seeding connection, and the secondary indexes of the tables it fills dropped, then built again at the
/// end from their own SQL (a sort beats a million random inserts). At the end the file is back in WAL mode and the
/// connection has its own settings back; other connections never change theirs (synchronous is per connection: the
/// API's stay FULL). Safe because a failed seed is redone from scratch: a power loss mid-seed may corrupt the file and a
/// seed killed before the end leaves those indexes missing (delete the file and seed again). A database that already
/// holds resources, perhaps in use by a running API, gets none of this: it is seeded with the usual settings.
/// </summary>
internal sealed class SqliteBulkLoad
{
    /// <summary>Page cache of the seeding connection, in KiB (SQLite's negative cache_size): a batch and the unique indexes on random ids stay in memory.</summary>
    private const int CacheKiB = 512 * 1024;

    /// <summary>How long a connection waits for another's lock, in ms: readers wait while the writer commits (no WAL meanwhile).</summary>
    public const int BusyTimeoutMs = 60_000;

    private static readonly Type[] Filled =
        [typeof(ResourceRow), typeof(TokenIndexRow), typeof(StringIndexRow), typeof(DateIndexRow), typeof(ReferenceIndexRow), typeof(BinaryRow), typeof(PatientIdentityRow)];

    /// <summary>The connection settings changed for the load, with the values they had.</summary>
    private static readonly string[] Settings = ["synchronous", "cache_size", "threads", "busy_timeout"];

    private readonly DmpDbContext _db;
    private readonly Dictionary<string, string> _settings;
    private readonly List<(string Name, string Sql)> _dropped;
    private readonly bool _journalInMemory;

    private SqliteBulkLoad(DmpDbContext db, Dictionary<string, string> settings, List<(string Name, string Sql)> dropped, bool journalInMemory)
    {
        _db = db;
        _settings = settings;
        _dropped = dropped;
        _journalInMemory = journalInMemory;
    }

    /// <summary>Whether the database was empty, so that the load runs with the settings above.</summary>
    public bool IsBulk => _settings.Count > 0;

    /// <summary>Names of the secondary indexes dropped for the load, to be built again by <see cref="FinishAsync"/>.</summary>
    public IReadOnlyList<string> DroppedIndexes => _dropped.Select(d => d.Name).ToList();

    /// <summary>Prepares <paramref name="db"/>'s connection, which stays open until <see cref="FinishAsync"/>, for the load.</summary>
    public static async Task<SqliteBulkLoad> BeginAsync(DmpDbContext db, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        var connection = db.Database.GetDbConnection();
        var resources = db.Model.FindEntityType(typeof(ResourceRow))!.GetTableName();
        if (await ScalarAsync(connection, $"SELECT EXISTS (SELECT 1 FROM \"{resources}\")", ct) != "0")
        {
            return new SqliteBulkLoad(db, [], [], journalInMemory: false);
        }

        var settings = new Dictionary<string, string>();
        foreach (var setting in Settings)
        {
            settings[setting] = await ScalarAsync(connection, $"PRAGMA {setting}", ct);
        }

        await ExecuteAsync(connection, $"PRAGMA synchronous=OFF; PRAGMA cache_size=-{CacheKiB.ToString(CultureInfo.InvariantCulture)}; PRAGMA busy_timeout={BusyTimeoutMs.ToString(CultureInfo.InvariantCulture)}", ct);

        // Leaving WAL needs the only connection to the file: idle pooled ones close; another process keeps it in WAL.
        SqliteConnection.ClearPool((SqliteConnection)connection);
        var journalInMemory = await ScalarAsync(connection, "PRAGMA journal_mode=MEMORY", ct) == "memory";

        var dropped = new List<(string, string)>();
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

        return new SqliteBulkLoad(db, settings, dropped, journalInMemory);
    }

    /// <summary>Builds the dropped indexes again, puts the file back in WAL mode, gives the connection its settings back and closes it.</summary>
    public async Task FinishAsync(CancellationToken ct)
    {
        var connection = _db.Database.GetDbConnection();
        if (IsBulk)
        {
            // Sorting a large index uses worker threads when allowed to (PRAGMA threads), and the page cache above.
            await ExecuteAsync(connection, $"PRAGMA threads={Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)}", ct);
            foreach (var (_, sql) in _dropped)
            {
                await ExecuteAsync(connection, sql, ct);
            }

            _dropped.Clear();
            if (_journalInMemory)
            {
                await ExecuteAsync(connection, "PRAGMA journal_mode=WAL", ct);
            }

            await ExecuteAsync(connection, "PRAGMA wal_checkpoint(TRUNCATE)", ct);
            await ExecuteAsync(connection, string.Join("; ", _settings.Select(s => $"PRAGMA {s.Key}={s.Value}")), ct);
        }

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
