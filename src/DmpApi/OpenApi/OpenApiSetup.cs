using Microsoft.OpenApi;

namespace DmpApi.OpenApi;

/// <summary>Swagger UI at /swagger over /swagger/v1/swagger.json (DESIGN §1), with a bearer authorisation button.</summary>
public static class OpenApiSetup
{
    public static IServiceCollection AddFhirOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "DmpApi — Dossier Médical Partagé, FHIR R4",
                Version = "v1",
                Description = "FHIR R4 REST API of the French shared medical record. Every /fhir call except /fhir/metadata needs a bearer token.",
            });
            o.AddSecurityDefinition("bearer", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "A JWT: `dotnet run --project src/DmpApi -- token practitioner --idnps 810001234567 --profession 10`",
            });
            o.AddSecurityRequirement(document => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] });
            o.OperationFilter<FhirOperationFilter>();
        });
        return services;
    }

    public static IApplicationBuilder UseFhirSwagger(this IApplicationBuilder app)
    {
        app.UseSwagger();
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("/swagger/v1/swagger.json", "DmpApi v1");
            o.DocumentTitle = "DmpApi — Swagger UI";
        });
        return app;
    }
}
