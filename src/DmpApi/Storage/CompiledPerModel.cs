using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace DmpApi.Storage;

/// <summary>
/// A hot query compiled once per EF model (EF.CompileAsyncQuery): EF Core binds a compiled query to one model, and each
/// provider's context has its own (the tests run SQLite and PostgreSQL in one process).
/// </summary>
public sealed class CompiledPerModel<TQuery>(Func<TQuery> compile) where TQuery : class
{
    private readonly ConcurrentDictionary<IModel, TQuery> _byModel = new();

    public TQuery For(DbContext db) => _byModel.GetOrAdd(db.Model, _ => compile());
}
