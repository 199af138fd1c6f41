using DmpApi.Audit;
using DmpApi.Auth;
using DmpApi.Documents;
using DmpApi.Fhir;
using DmpApi.Notifications;
using DmpApi.Patients;
using DmpApi.Search;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace DmpApi.Endpoints;

public static class FhirEndpoints
{
    /// <summary>Services of the FHIR API: the store, each type's rules, search and page tokens.</summary>
    public static IServiceCollection AddFhirApi(this IServiceCollection services)
    {
        services.AddExceptionHandler<FhirExceptionHandler>();
        services.AddProblemDetails();
        services.AddSingleton(TimeProvider.System);
        services.AddOptions<LimitsOptions>().BindConfiguration(LimitsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SearchOptions>().BindConfiguration(SearchOptions.Section).ValidateDataAnnotations()
            .Validate<IOptions<AuthOptions>, IHostEnvironment>((o, auth, env) => !env.IsProduction() || PageTokens.HasSharedKey(o, auth.Value),
                "Production needs a page-token key shared by every instance: Search:PageTokenKey (or Auth:SigningKey) of at least 32 bytes.")
            .ValidateOnStart();
        services.AddSingleton(new SearchParameterRegistry(FhirResources.Types));
        services.AddSingleton<SearchIndexer>();
        services.AddSingleton<IResourceIndexer>(sp => sp.GetRequiredService<SearchIndexer>());
        services.AddSingleton<PageTokens>();
        services.AddScoped<SearchEngine>();
        services.AddScoped<ResourceStore>();
        foreach (var resource in FhirResources.All)
        {
            services.AddSingleton(typeof(IResourceRules), resource.Rules);
        }

        return services;
    }

    /// <summary>/fhir: metadata without a token, every other interaction behind authentication.</summary>
    public static RouteGroupBuilder MapFhirEndpoints(this IEndpointRouteBuilder app)
    {
        var fhir = app.MapGroup("/fhir").RequireAuthorization();
        // An unsupported _format is a 400 on every interaction (a delete included), before the handler runs, not only when a body is written.
        fhir.AddEndpointFilter((context, next) =>
        {
            FhirWire.ResponseFormat(context.HttpContext.Request);
            return next(context);
        });
        fhir.MapCapabilityStatement();
        // SMART App Launch 2.0 publishes it at the FHIR base; the root copy serves clients that look there.
        fhir.MapSmartConfiguration();
        app.MapSmartConfiguration();
        foreach (var resource in FhirResources.All)
        {
            var group = fhir.MapResourceEndpoints(resource.Type);
            resource.MapOwnEndpoints?.Invoke(group);
        }

        fhir.MapDocumentPublicationEndpoints();
        fhir.MapBinaryEndpoints();
        fhir.MapAuditEventEndpoints();
        fhir.MapCommunicationEndpoints();
        return fhir;
    }

    /// <summary>Routing's own 404 and 405 answers become OperationOutcomes too (never an empty body).</summary>
    public static IApplicationBuilder UseFhirStatusCodes(this IApplicationBuilder app) =>
        app.UseStatusCodePages(async context =>
        {
            var http = context.HttpContext;
            if (!http.Request.Path.StartsWithSegments("/fhir") || http.Response.HasStarted || http.Response.ContentLength > 0)
            {
                return;
            }

            var status = (System.Net.HttpStatusCode)http.Response.StatusCode;
            var (code, diagnostics) = status switch
            {
                System.Net.HttpStatusCode.NotFound => (OperationOutcome.IssueType.NotSupported, $"No FHIR interaction is served at {http.Request.Path}."),
                System.Net.HttpStatusCode.MethodNotAllowed => (OperationOutcome.IssueType.NotSupported, $"{http.Request.Method} is not supported on {http.Request.Path}."),
                _ => (OperationOutcome.IssueType.Processing, $"The request failed with status {(int)status}."),
            };
            await FhirExceptionHandler.WriteAsync(http, status, Outcomes.Build(code, diagnostics));
        });
}
