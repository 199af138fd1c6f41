using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace DmpApi.Storage;

/// <summary>Recognises a unique-constraint violation on each provider: the database is the arbiter of races.</summary>
internal static class UniqueViolation
{
    public static bool Matches(DbUpdateException e) => e.InnerException switch
    {
        SqliteException s => s.SqliteErrorCode == 19, // SQLITE_CONSTRAINT
        PostgresException p => p.SqlState == PostgresErrorCodes.UniqueViolation,
        SqlException s => s.Number is 2601 or 2627,
        _ => false,
    };
}
