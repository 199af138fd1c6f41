using System.Linq.Expressions;
using DmpApi.Storage;

namespace DmpApi.Access;

/// <summary>
/// Who sees an IHE MHD List (SubmissionSet, Folder): a List reveals which documents were submitted or filed together, so
/// it is hidden, as a whole, from a requester for whom it names a live document they may not see (DMP-RULES §2: hidden and
/// absent look the same). Entries naming a deleted document hide nothing: that document answers 404 to everyone. Read on
/// the List's current row, whose `item` reference index rows name its entries (DESIGN §2: the filter is SQL).
/// </summary>
public static class ListPredicates
{
    public static Expression<Func<ResourceRow, bool>> NamesNoHiddenDocument(DmpDbContext db, Expression<Func<ResourceRow, bool>> visibleDocument)
    {
        Expression<Func<ReferenceIndexRow, ResourceRow, bool>> named = (x, d) =>
            d.ResourceType == "DocumentReference" && d.LogicalId == x.TargetId && d.IsCurrent && !d.IsDeleted;
        var (x, d) = (named.Parameters[0], named.Parameters[1]);
        var hidden = Expression.Not(new Rebind(visibleDocument.Parameters[0], d).Visit(visibleDocument.Body));
        var hiddenNamed = Expression.Lambda<Func<ResourceRow, bool>>(Expression.AndAlso(named.Body, hidden), d);
        var anyHidden = Expression.Call(typeof(Queryable), nameof(Queryable.Any), [typeof(ResourceRow)],
            Expression.Property(Expression.Constant(db), nameof(DmpDbContext.Resources)), Expression.Quote(hiddenNamed));

        Expression<Func<ResourceRow, ReferenceIndexRow, bool>> entryOf = (r, e) =>
            e.ResourceRowId == r.Id && e.ParamName == "item" && e.TargetType == "DocumentReference";
        var r = entryOf.Parameters[0];
        var entryBody = new Rebind(entryOf.Parameters[1], x).Visit(entryOf.Body);
        var hidingEntry = Expression.Lambda<Func<ReferenceIndexRow, bool>>(Expression.AndAlso(entryBody, anyHidden), x);
        var anyHidingEntry = Expression.Call(typeof(Queryable), nameof(Queryable.Any), [typeof(ReferenceIndexRow)],
            Expression.Property(Expression.Constant(db), nameof(DmpDbContext.ReferenceIndex)), Expression.Quote(hidingEntry));
        return Expression.Lambda<Func<ResourceRow, bool>>(Expression.Not(anyHidingEntry), r);
    }

    private sealed class Rebind(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
