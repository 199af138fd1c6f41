using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace DmpApi.Storage;

/// <summary>
/// Recognises, on each provider, a database that did not answer in time or is too busy to: the client did nothing
/// wrong and may retry, so these become 503 OperationOutcomes, never 500 (DESIGN §4).
/// </summary>
internal static class DatabaseUnavailable
{
    public static bool Matches(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case TimeoutException:
                case SqliteException { SqliteErrorCode: 5 or 6 }: // SQLITE_BUSY, SQLITE_LOCKED: the busy timeout ran out
                case PostgresException { SqlState: PostgresErrorCodes.QueryCanceled or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.CannotConnectNow }:
                case NpgsqlException { IsTransient: true } and not PostgresException:
                case SqlException { Number: -2 or 1222 }: // client timeout, lock request timeout
                    return true;
            }
        }

        return false;
    }
}
