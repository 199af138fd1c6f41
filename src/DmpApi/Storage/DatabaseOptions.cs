using System.ComponentModel.DataAnnotations;

namespace DmpApi.Storage;

public enum DatabaseProvider { Sqlite, SqlServer, PostgreSql }

/// <summary>Configuration section "Database" (DESIGN §1): which store, and whether to migrate at start.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    public bool MigrateOnStartup { get; set; } = true;

    /// <summary>Folder of the embedded SQLite file when no connection string is given, relative to the content root.</summary>
    [Required]
    public string DataFolder { get; set; } = "data";

    /// <summary>Seconds before a database command is abandoned (then 503, never a hung request).</summary>
    [Range(1, 600)]
    public int CommandTimeoutSeconds { get; set; } = 30;
}
