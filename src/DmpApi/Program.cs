using DmpApi;
using DmpApi.Access;
using DmpApi.Audit;
using DmpApi.Auth;
using DmpApi.Endpoints;
using DmpApi.Hosting;
using DmpApi.Lifecycle;
using DmpApi.Notifications;
using DmpApi.OpenApi;
using DmpApi.RateLimits;
using DmpApi.Storage;
using DmpApi.Validation;

if (Commands.IsCommand(args))
{
    return await Commands.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(Commands.HostOptions(args));
builder.AddDmpHosting();
builder.Services.AddRecordStore(builder.Configuration, builder.Environment);
builder.Services.AddFhirApi();
builder.Services.AddAccessRules();
builder.Services.AddDmpAuthentication(builder.Configuration);
builder.Services.AddAuditTrail();
builder.Services.AddRequesterRateLimits();
builder.Services.AddPatientNotifications();
builder.Services.AddProfileValidation(FhirResources.Types);   // writes are validated against the core types and the PDSm profiles (docs/VALIDATION.md)
builder.Services.AddRecordLifecycle();     // the purge of records closed more than ten years ago, on a schedule
builder.Services.AddFhirOpenApi();
builder.WebHost.ConfigureKestrel(kestrel =>
    kestrel.Limits.MaxRequestBodySize = builder.Configuration.GetValue<long?>("Limits:MaxRequestBodyBytes") ?? 10 * 1024 * 1024);

var app = builder.Build();
if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<DatabaseOptions>>().Value.MigrateOnStartup)
{
    await app.Services.MigrateRecordStoreAsync();
}

app.UseRequestIds();         // first: every log line, trace and answer (errors included) carries the request id
app.UseExceptionHandler();   // then: every error below becomes an OperationOutcome
app.UseProxyAndTelemetry();  // the trusted proxy's scheme and host before anything builds a URL; spans tagged with the FHIR interaction
app.UseFhirStatusCodes();    // routing's bare 404/405 become OperationOutcomes too
app.UseFhirSwagger();        // public documentation, before authentication
app.UseAuthentication();     // the requester comes from the bearer token
app.UseAuditTrail();         // right after: the requester is known, and every answer below (401 included) is traced and durable before it is sent
app.UseRequesterRateLimits(); // per requester, so after authentication; after the audit trail, so a 429 is traced too
app.UseAuthorization();
app.UseAccessScope();        // then the access decision, before any endpoint touches the store
app.MapHealthEndpoints();    // /alive, /ready (and /healthz), anonymous
app.MapFhirEndpoints();
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
