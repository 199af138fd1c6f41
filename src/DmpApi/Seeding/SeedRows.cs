using System.Data.Common;
using System.Globalization;
using DmpApi.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace DmpApi.Seeding;

/// <summary>
/// Saves staged versions, one transaction per call. On SQLite, with prepared multi-row INSERTs built from the EF model
/// (the same tables, columns, parameter mappings and value converters as SaveChanges, without its per-entity
/// bookkeeping); other providers go through SaveChanges. One instance per writing context, used by one writer.
/// </summary>
internal sealed class SeedRows(DmpDbContext db) : IAsyncDisposable
{
    /// <summary>Rows per INSERT statement: fewer statements to step, within SQLite's 32,766 parameters.</summary>
    private const int RowsPerStatement = 64;

    private readonly Dictionary<(Type, int), TableInsert> _inserts = [];

    public async Task WriteAsync(IReadOnlyList<StagedVersion> versions, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (db.Database.IsSqlite())
        {
            Insert(transaction.GetDbTransaction(), versions);
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
                    db.DocumentUniqueIds.AddRange(version.UniqueIds);
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

    public async ValueTask DisposeAsync()
    {
        foreach (var insert in _inserts.Values)
        {
            await insert.Command.DisposeAsync();
        }

        _inserts.Clear();
    }

    /// <summary>SQLite runs in-process and never waits on a network: synchronous calls spare an async state machine per statement.</summary>
    private void Insert(DbTransaction transaction, IReadOnlyList<StagedVersion> versions)
    {
        // The transaction holds SQLite's write lock (BEGIN IMMEDIATE): no other writer takes these row ids meanwhile.
        using (var max = transaction.Connection!.CreateCommand())
        {
            max.Transaction = transaction;
            max.CommandText = $"SELECT COALESCE(MAX(\"Id\"), 0) FROM \"{db.Model.FindEntityType(typeof(ResourceRow))!.GetTableName()}\"";
            var next = Convert.ToInt64(max.ExecuteScalar(), CultureInfo.InvariantCulture);
            foreach (var version in versions)
            {
                version.Row.Id = ++next;
                foreach (var entry in version.IndexRows)
                {
                    entry.ResourceRowId = version.Row.Id;
                }
            }
        }

        // Resource rows first: the index rows' foreign keys point at them.
        InsertAll(transaction, typeof(ResourceRow), versions.Select(v => (object)v.Row));
        foreach (var group in versions.SelectMany(v => v.IndexRows).GroupBy(e => e.GetType()))
        {
            InsertAll(transaction, group.Key, group);
        }

        InsertAll(transaction, typeof(BinaryRow), versions.SelectMany(v => v.Binaries));
        InsertAll(transaction, typeof(PatientIdentityRow), versions.SelectMany(v => v.Identities ?? []));
        InsertAll(transaction, typeof(DocumentUniqueIdRow), versions.SelectMany(v => v.UniqueIds));
    }

    private void InsertAll(DbTransaction transaction, Type type, IEnumerable<object> entities)
    {
        var chunk = new List<object>(RowsPerStatement);
        foreach (var entity in entities)
        {
            chunk.Add(entity);
            if (chunk.Count == RowsPerStatement)
            {
                For(transaction, type, RowsPerStatement).Run(chunk);
                chunk.Clear();
            }
        }

        foreach (var entity in chunk)
        {
            For(transaction, type, 1).Run([entity]);
        }
    }

    private TableInsert For(DbTransaction transaction, Type type, int rows)
    {
        if (!_inserts.TryGetValue((type, rows), out var insert))
        {
            _inserts[(type, rows)] = insert = TableInsert.Create(db.Model.FindEntityType(type)!, transaction, rows);
        }

        // Prepared once, run in every transaction of this connection.
        insert.Command.Transaction = transaction;
        return insert;
    }

    /// <summary>A prepared INSERT of <c>rows</c> entities of one type: every mapped column but a generated key (the resource row's key is given).</summary>
    private sealed record TableInsert(DbCommand Command, IReadOnlyList<TableInsert.Column> Columns, DbParameter[] Parameters)
    {
        public sealed record Column(IClrPropertyGetter Getter, ValueConverter? Converter);

        public static TableInsert Create(IEntityType entity, DbTransaction transaction, int rows)
        {
            var command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            var properties = entity.GetProperties()
                .Where(p => p.PropertyInfo is not null && !(p.IsPrimaryKey() && p.ValueGenerated != ValueGenerated.Never && entity.ClrType != typeof(ResourceRow)))
                .ToList();
            var table = StoreObjectIdentifier.Table(entity.GetTableName()!, entity.GetSchema());
            var parameters = new DbParameter[rows * properties.Count];
            var values = new List<string>(rows);
            for (var row = 0; row < rows; row++)
            {
                var names = new List<string>(properties.Count);
                for (var i = 0; i < properties.Count; i++)
                {
                    var name = $"$p{row * properties.Count + i}";
                    var parameter = properties[i].GetRelationalTypeMapping().CreateParameter(command, name, null, properties[i].IsNullable);
                    command.Parameters.Add(parameter);
                    parameters[row * properties.Count + i] = parameter;
                    names.Add(name);
                }

                values.Add($"({string.Join(", ", names)})");
            }

            command.CommandText = $"INSERT INTO \"{table.Name}\" ({string.Join(", ", properties.Select(p => $"\"{p.GetColumnName(table)}\""))}) VALUES {string.Join(", ", values)}";
            command.Prepare();
            var columns = properties.Select(p => new Column(p.GetGetter(), p.GetValueConverter() ?? p.GetRelationalTypeMapping().Converter)).ToList();
            return new TableInsert(command, columns, parameters);
        }

        public void Run(IReadOnlyList<object> entities)
        {
            for (var row = 0; row < entities.Count; row++)
            {
                for (var i = 0; i < Columns.Count; i++)
                {
                    var (getter, converter) = Columns[i];
                    var value = getter.GetClrValue(entities[row]);
                    Parameters[row * Columns.Count + i].Value = (converter is not null && value is not null ? converter.ConvertToProvider(value) : value) ?? DBNull.Value;
                }
            }

            Command.ExecuteNonQuery();
        }
    }
}
