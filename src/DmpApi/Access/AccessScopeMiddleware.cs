using DmpApi.Auth;
using DmpApi.Fhir;
using Hl7.Fhir.Model;

namespace DmpApi.Access;

/// <summary>
/// Builds the <see cref="AccessScope"/> of every authenticated /fhir request, the single point where access is
/// decided (DESIGN §2). Endpoints take their scope from here; the DMP rules (DMP-RULES §2) plug in at this point.
/// </summary>
public sealed class AccessScopeMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Features.Get<Requester>() is { } requester)
        {
            var clock = context.RequestServices.GetRequiredService<TimeProvider>();
            context.Features.Set(new AccessScope(requester, context.RequestServices.GetRequiredService<DmpApi.Storage.DmpDbContext>(), clock.GetUtcNow(),
                context.RequestServices.GetService<DmpApi.Notifications.AccessNotifier>()));
        }

        return next(context);
    }
}

public static class AccessScopeExtensions
{
    public static IApplicationBuilder UseAccessScope(this IApplicationBuilder app) => app.UseMiddleware<AccessScopeMiddleware>();

    public static AccessScope GetAccessScope(this HttpContext context) =>
        context.Features.Get<AccessScope>()
        ?? throw new FhirException(System.Net.HttpStatusCode.Unauthorized, OperationOutcome.IssueType.Login, "A bearer token is required.");
}
