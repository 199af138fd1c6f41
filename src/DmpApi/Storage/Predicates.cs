using System.Linq.Expressions;

namespace DmpApi.Storage;

/// <summary>Combines LINQ predicates into one expression the database provider translates (no Invoke nodes).</summary>
public static class Predicates
{
    public static Expression<Func<T, bool>> Or<T>(IEnumerable<Expression<Func<T, bool>>> predicates) =>
        Combine(predicates, Expression.OrElse) ?? (_ => false);

    public static Expression<Func<T, bool>> And<T>(params Expression<Func<T, bool>>[] predicates) =>
        Combine(predicates, Expression.AndAlso) ?? (_ => true);

    private static Expression<Func<T, bool>>? Combine<T>(IEnumerable<Expression<Func<T, bool>>> predicates, Func<Expression, Expression, BinaryExpression> join)
    {
        Expression<Func<T, bool>>? result = null;
        foreach (var predicate in predicates)
        {
            if (result is null)
            {
                result = predicate;
                continue;
            }

            var body = new Rebind(predicate.Parameters[0], result.Parameters[0]).Visit(predicate.Body);
            result = Expression.Lambda<Func<T, bool>>(join(result.Body, body), result.Parameters);
        }

        return result;
    }

    private sealed class Rebind(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
