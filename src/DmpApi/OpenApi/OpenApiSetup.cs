using Microsoft.OpenApi;

namespace DmpApi.OpenApi;

/// <summary>
/// Swagger UI at /swagger over /swagger/v1/swagger.json (DESIGN §1), with a bearer authorisation button. The document is
/// committed as api-spec/openapi.json (scripts/update-api-spec.sh regenerates it; a test fails when they differ).
/// </summary>
public static class OpenApiSetup
{
    public const string BearerScheme = "bearer";

    public static IServiceCollection AddFhirOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "DmpApi — Dossier Médical Partagé, FHIR R4",
                Version = "v1",
                Description = "FHIR R4 REST API of the French shared medical record (base URL: /fhir). Every /fhir call except "
                    + "/fhir/metadata needs a bearer token (Authorize). Bodies are FHIR R4 resources in application/fhir+json or "
                    + "application/fhir+xml; the schemas name the resource type and link to its definition in the FHIR specification, "
                    + "and each shows a DMP example. Errors are OperationOutcomes.",
            });
            o.AddSecurityDefinition(BearerScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "A JWT from Pro Santé Connect or, in development, from "
                    + "`dotnet run --project src/DmpApi -- token practitioner --idnps 810001234567 --profession 10` "
                    + "(or `-- token patient --ins 255081416802538`).",
            });
            // No document-wide security requirement: the operation filter puts it on every operation except /fhir/metadata.
            o.OperationFilter<FhirOperationFilter>();
            o.DocumentFilter<FhirSchemasDocumentFilter>();
        });
        return services;
    }

    public static IApplicationBuilder UseFhirSwagger(this IApplicationBuilder app)
    {
        // No server URL in the document: Swagger UI calls the host that served it (the path base is added when there is one).
        app.UseSwagger();
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("v1/swagger.json", "DmpApi v1"); // relative to /swagger/, so it works behind a path base
            o.DocumentTitle = "DmpApi — Swagger UI";
            o.EnablePersistAuthorization();
            o.DisplayRequestDuration();
        });
        return app;
    }
}
