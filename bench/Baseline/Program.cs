using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

// The benchmark's baseline (bench/README.md): the same JWT validation as the API (HS256 development key, issuer,
// audience, algorithm, claims read into a principal), then the bytes the API answered for each scenario, captured by
// bench/run.sh into Responses:Folder. No database, no access rules, no audit: what is left is Kestrel, routing and JWT.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var key = builder.Configuration["Auth:SigningKey"] ?? throw new InvalidOperationException("Auth:SigningKey is required.");
var folder = builder.Configuration["Responses:Folder"] ?? throw new InvalidOperationException("Responses:Folder is required.");
builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
{
    o.MapInboundClaims = false;
    o.TokenValidationParameters = new TokenValidationParameters
    {
        ValidIssuer = builder.Configuration["Auth:Issuer"] ?? "dmpapi-dev",
        ValidAudience = builder.Configuration["Auth:Audience"] ?? "dmpapi",
        IssuerSigningKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)),
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        ClockSkew = TimeSpan.FromSeconds(30),
    };
});
builder.Services.AddAuthorization();

var app = builder.Build();
app.MapGet("/healthz", () => "ok");
app.UseAuthentication();
app.UseAuthorization();

byte[] Captured(string name) => File.ReadAllBytes(Path.Combine(folder, name));
var read = Captured("read.json");
var search = Captured("search.json");
var binary = Captured("binary.bin");
var created = Captured("create.json");
const string fhirJson = "application/fhir+json; charset=utf-8";

var fhir = app.MapGroup("/fhir").RequireAuthorization();
fhir.MapGet("/DocumentReference/{id}", (string id) => Results.Bytes(read, fhirJson));
fhir.MapGet("/DocumentReference", () => Results.Bytes(search, fhirJson));
fhir.MapGet("/Binary/{id}", (string id) => Results.Bytes(binary, "application/pdf"));
// The profile scenario's four searches (issue 15), each answered with the API's own bytes for it.
foreach (var type in new[] { "Condition", "MedicationStatement", "Immunization", "Observation" })
{
    var profile = Captured($"profile-{type}.json");
    fhir.MapGet($"/{type}", () => Results.Bytes(profile, fhirJson));
}
fhir.MapPost("/AllergyIntolerance", async (HttpContext http) =>
{
    // Read the body as the API does before answering.
    using var body = new MemoryStream();
    await http.Request.Body.CopyToAsync(body);
    http.Response.StatusCode = StatusCodes.Status201Created;
    http.Response.ContentType = fhirJson;
    await http.Response.Body.WriteAsync(created);
});
app.Run();
