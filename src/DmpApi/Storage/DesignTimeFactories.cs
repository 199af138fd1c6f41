using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace DmpApi.Storage;

// Used only by `dotnet ef migrations add`: each provider's migrations are generated against its own context.
internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteDmpDbContext>
{
    public SqliteDmpDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteDmpDbContext>().UseSqlite("Data Source=design.db").Options);
}

internal sealed class SqlServerDesignTimeFactory : IDesignTimeDbContextFactory<SqlServerDmpDbContext>
{
    public SqlServerDmpDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqlServerDmpDbContext>().UseSqlServer("Server=localhost;Database=Dmp;TrustServerCertificate=True").Options);
}

internal sealed class PostgreSqlDesignTimeFactory : IDesignTimeDbContextFactory<PostgreSqlDmpDbContext>
{
    public PostgreSqlDmpDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgreSqlDmpDbContext>().UseNpgsql("Host=localhost;Database=dmp").Options);
}
