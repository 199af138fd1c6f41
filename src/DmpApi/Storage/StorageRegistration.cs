using DmpApi.Fhir;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DmpApi.Storage;

public static class StorageRegistration
{
    /// <summary>Registers the provider's context as <see cref="DmpDbContext"/>, chosen by Database:Provider.</summary>
    public static IServiceCollection AddRecordStore(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        var options = configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        var connectionString = configuration.GetConnectionString("Dmp");

        switch (options.Provider)
        {
            case DatabaseProvider.Sqlite:
                var sqlite = SqliteConnectionString(connectionString, options, environment);
                services.AddDbContextPool<SqliteDmpDbContext>(o => o.UseSqlite(sqlite, s => s.CommandTimeout(options.CommandTimeoutSeconds))
                    .AddInterceptors(new SqliteConnectionSettings()));
                services.AddScoped<DmpDbContext>(sp => sp.GetRequiredService<SqliteDmpDbContext>());
                break;
            case DatabaseProvider.SqlServer:
                services.AddDbContextPool<SqlServerDmpDbContext>(o => o.UseSqlServer(Require(connectionString, options.Provider), s => s.CommandTimeout(options.CommandTimeoutSeconds)));
                services.AddScoped<DmpDbContext>(sp => sp.GetRequiredService<SqlServerDmpDbContext>());
                break;
            case DatabaseProvider.PostgreSql:
                services.AddDbContextPool<PostgreSqlDmpDbContext>(o => o.UseNpgsql(PostgreSqlConnectionString(Require(connectionString, options.Provider)), s => s.CommandTimeout(options.CommandTimeoutSeconds)));
                services.AddScoped<DmpDbContext>(sp => sp.GetRequiredService<PostgreSqlDmpDbContext>());
                break;
        }

        services.AddSingleton<WriteGate>();
        services.Configure<UnavailableOptions>(o => o.Recognisers.Add(DatabaseUnavailable.Matches));
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database");
        return services;
    }

    /// <summary>
    /// Applies the provider's migrations (and the data step of one that SQL cannot do, <see cref="DocumentUniqueIdBackfill"/>);
    /// for SQLite also switches the file to WAL so readers never wait for the writer.
    /// </summary>
    public static async Task MigrateRecordStoreAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DmpDbContext>();
        var pending = await db.Database.GetPendingMigrationsAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        if (pending.Any(m => m.EndsWith("_" + DocumentUniqueIdBackfill.MigrationName, StringComparison.Ordinal)))
        {
            var logger = scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DocumentUniqueIdBackfill));
            await DocumentUniqueIdBackfill.RunAsync(db, logger, cancellationToken);
        }
        if (db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }

    private static string SqliteConnectionString(string? configured, DatabaseOptions options, IHostEnvironment environment)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        var folder = Path.Combine(environment.ContentRootPath, options.DataFolder);
        Directory.CreateDirectory(folder);
        return new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(folder, "dmp.db"),
            Pooling = true,
        }.ToString();
    }

    /// <summary>
    /// The same statements run thousands of times a second: Npgsql prepares the most used ones on each connection (the
    /// server then neither parses nor plans them again), and a connection returned to the pool is not reset with
    /// DISCARD ALL, a round trip per request, as no request leaves session state behind (no SET, temporary table or
    /// session lock), and statements run on generic plans. A connection string that sets any of these keeps its own value.
    /// </summary>
    internal static string PostgreSqlConnectionString(string configured)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(configured);
        if (!Mentions(configured, "Max Auto Prepare", "MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
        }

        if (!Mentions(configured, "No Reset On Close", "NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        // Generic plans: each statement is keyed on ids, so its plan does not depend on the values; with the default
        // mode PostgreSQL kept planning the access door's search anew on each call (0.72 ms of planning for 0.27 ms of
        // execution, bench/README.md "third pass"), as the generic plan's estimate for its `= ANY(array)` came out higher.
        if (!Mentions(configured, "plan_cache_mode"))
        {
            builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? "-c plan_cache_mode=force_generic_plan" : builder.Options + " -c plan_cache_mode=force_generic_plan";
        }

        return builder.ConnectionString;
    }

    private static bool Mentions(string connectionString, params string[] keywords) =>
        keywords.Any(k => connectionString.Contains(k, StringComparison.OrdinalIgnoreCase));

    private static string Require(string? connectionString, DatabaseProvider provider) =>
        string.IsNullOrWhiteSpace(connectionString)
            ? throw new OptionsValidationException("ConnectionStrings:Dmp", typeof(DatabaseOptions), [$"ConnectionStrings:Dmp is required for the {provider} provider."])
            : connectionString;
}
