using System.Data.Common;
using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace DmpApi.Storage.Seeding;

/// <summary>
/// Saves staged versions in one transaction. On SQLite, with one prepared INSERT per table built from the EF model
/// (same tables, columns and parameter mappings as SaveChanges, without its per-entity bookkeeping): seeding a million
/// documents is bound by building the rows, not by saving them. Other providers go through SaveChanges.
/// </summary>
internal static class SeedRows
{
    public static async Task WriteAsync(DmpDbContext db, IReadOnlyList<StagedVersion> versions, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (db.Database.IsSqlite())
        {
            await InsertAsync(db, transaction.GetDbTransaction(), versions, ct);
        }
        else
        {
            db.ChangeTracker.AutoDetectChangesEnabled = false;
            try
            {
                foreach (var version in versions)
                {
                    db.Resources.Add(version.Row);
                    db.AddRange(version.IndexRows);
                    db.Binaries.AddRange(version.Binaries);
                    db.PatientIdentities.AddRange(version.Identities ?? []);
                }

                await db.SaveChangesAsync(ct);
            }
            finally
            {
                db.ChangeTracker.Clear();
                db.ChangeTracker.AutoDetectChangesEnabled = true;
            }
        }

        await transaction.CommitAsync(ct);
    }

    private static async Task InsertAsync(DmpDbContext db, DbTransaction transaction, IReadOnlyList<StagedVersion> versions, CancellationToken ct)
    {
        var connection = transaction.Connection!;
        // The transaction holds SQLite's write lock (BEGIN IMMEDIATE): no other writer takes these row ids meanwhile.
        await using (var max = connection.CreateCommand())
        {
            max.Transaction = transaction;
            max.CommandText = $"SELECT COALESCE(MAX(\"Id\"), 0) FROM \"{db.Model.FindEntityType(typeof(ResourceRow))!.GetTableName()}\"";
            var next = Convert.ToInt64(await max.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
            foreach (var version in versions)
            {
                version.Row.Id = ++next;
                foreach (var entry in version.IndexRows)
                {
                    entry.ResourceRowId = version.Row.Id;
                }
            }
        }

        var inserts = new Dictionary<Type, TableInsert>();
        TableInsert For(Type type) =>
            inserts.TryGetValue(type, out var insert) ? insert : inserts[type] = TableInsert.Create(db.Model.FindEntityType(type)!, transaction);

        try
        {
            foreach (var version in versions)
            {
                await For(typeof(ResourceRow)).RunAsync(version.Row, ct);
                foreach (var entry in version.IndexRows)
                {
                    await For(entry.GetType()).RunAsync(entry, ct);
                }

                foreach (var binary in version.Binaries)
                {
                    await For(typeof(BinaryRow)).RunAsync(binary, ct);
                }

                foreach (var identity in version.Identities ?? [])
                {
                    await For(typeof(PatientIdentityRow)).RunAsync(identity, ct);
                }
            }
        }
        finally
        {
            foreach (var insert in inserts.Values)
            {
                await insert.Command.DisposeAsync();
            }
        }
    }

    /// <summary>A prepared INSERT of one entity type: every mapped column but a generated key (the resource row's key is given).</summary>
    private sealed record TableInsert(DbCommand Command, IReadOnlyList<(PropertyInfo Property, DbParameter Parameter, Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter? Converter)> Columns)
    {
        public static TableInsert Create(IEntityType entity, DbTransaction transaction)
        {
            var command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            var properties = entity.GetProperties()
                .Where(p => p.PropertyInfo is not null && !(p.IsPrimaryKey() && p.ValueGenerated != ValueGenerated.Never && entity.ClrType != typeof(ResourceRow)))
                .ToList();
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            var columns = new List<(PropertyInfo, DbParameter, Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter?)>();
            foreach (var (property, i) in properties.Select((p, i) => (p, i)))
            {
                var mapping = property.GetRelationalTypeMapping();
                var parameter = mapping.CreateParameter(command, "$p" + i, null, property.IsNullable);
                command.Parameters.Add(parameter);
                columns.Add((property.PropertyInfo!, parameter, property.GetValueConverter() ?? mapping.Converter));
            }

            command.CommandText = $"INSERT INTO \"{table.Name}\" ({string.Join(", ", properties.Select(p => $"\"{p.GetColumnName(table)}\""))}) "
                + $"VALUES ({string.Join(", ", properties.Select((_, i) => "$p" + i))})";
            command.Prepare();
            return new TableInsert(command, columns);
        }

        public async Task RunAsync(object entity, CancellationToken ct)
        {
            foreach (var (property, parameter, converter) in Columns)
            {
                var value = property.GetValue(entity);
                parameter.Value = (converter is not null && value is not null ? converter.ConvertToProvider(value) : value) ?? DBNull.Value;
            }

            await Command.ExecuteNonQueryAsync(ct);
        }
    }
}
