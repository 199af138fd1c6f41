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
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Features.Get<Requester>() is not { } requester)
        {
            await next(context);
            return;
        }

        var services = context.RequestServices;
        var clock = services.GetRequiredService<TimeProvider>();
        var notifier = services.GetService<IAccessDecisionObserver>();
        var audit = context.RequestTrace();
        context.Features.Set(new AccessScope(requester, services.GetRequiredService<DmpApi.Storage.DmpDbContext>(),
            services.GetRequiredService<DocumentVisibility>(), clock.GetUtcNow(), patientId => audit?.PatientId ??= patientId, notifier,
            services.GetService<RecordDirectivesCache>()));
        try
        {
            await next(context);
        }
        finally
        {
            // DMP-RULES §4: notifications of the accesses decided, once the endpoint's own transaction is over.
            if (notifier is not null)
            {
                await notifier.FlushAsync();
            }
        }
    }
}

public static class AccessScopeExtensions
{
    public static IApplicationBuilder UseAccessScope(this IApplicationBuilder app) => app.UseMiddleware<AccessScopeMiddleware>();

    public static AccessScope GetAccessScope(this HttpContext context) =>
        context.Features.Get<AccessScope>()
        ?? throw new FhirException(System.Net.HttpStatusCode.Unauthorized, OperationOutcome.IssueType.Login, "A bearer token is required.");
}
