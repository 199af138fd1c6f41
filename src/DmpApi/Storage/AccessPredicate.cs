using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;

namespace DmpApi.Storage;

/// <summary>
/// The rows one request may read (DESIGN §2), built by Access from the requester's decision: the records reachable, and
/// in them the documents and Consents visible. Every read of the store runs through it; its tag marks each command it
/// filters, so that the structural tests can tell a read through the door from one around it.
/// </summary>
public sealed record AccessPredicate(Expression<Func<ResourceRow, bool>> Rows)
{
    /// <summary>The SQL comment every access-filtered command carries (EF Core TagWith).</summary>
    public const string Tag = "dmp:access-door";

    /// <summary>The SQL comment of the commands Access runs to decide (locating a row's record, reading its directives).</summary>
    public const string DecisionTag = "dmp:access-decision";

    /// <summary>Nothing readable: an absent record, or a resource nobody may see.</summary>
    public static readonly AccessPredicate Nothing = new(_ => false);

    public IQueryable<ResourceRow> Filter(IQueryable<ResourceRow> rows) => rows.Where(Rows).TagWith(Tag);
}
