using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Rest;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DmpApi.ContractTests;

/// <summary>
/// The server under test (DESIGN §6): a live process at DMP_BASE_URL, reached over real HTTP. Tokens are development
/// tokens (DESIGN §3) signed with the key the server was started with: DMP_SIGNING_KEY or Auth__SigningKey, else the key
/// of src/DmpApi/appsettings.Development.json.
/// </summary>
internal static class LiveServer
{
    public const string Doctor = "810001234567";
    public const string NotALiveRun = "DMP_BASE_URL is not set: the contract tests run against a live server (.ci/run starts one; "
        + "or start `dotnet run --project src/DmpApi` and set DMP_BASE_URL=http://127.0.0.1:5000).";

    // One connection pool for the whole run; FhirClients get their own HttpClient (their own bearer) over it.
    private static readonly SocketsHttpHandler SharedHandler = new();
    private static readonly Lazy<HttpClient> SharedHttp = new(() => new HttpClient(SharedHandler, disposeHandler: false));

    /// <summary>The server's root URL; ignores the calling test, with the reason, when none is configured.</summary>
    public static string Root
    {
        get
        {
            var url = Environment.GetEnvironmentVariable("DMP_BASE_URL");
            if (string.IsNullOrWhiteSpace(url))
            {
                Assert.Ignore(NotALiveRun);
            }

            return url!.TrimEnd('/');
        }
    }

    public static string FhirBase => Root + "/fhir";

    public static HttpClient Http => SharedHttp.Value;

    /// <summary>The request body limit the server was started with (Limits:MaxRequestBodyBytes), to send one byte more.</summary>
    public static long MaxRequestBodyBytes =>
        long.TryParse(Environment.GetEnvironmentVariable("Limits__MaxRequestBodyBytes"), out var limit) ? limit : 10 * 1024 * 1024;

    /// <summary>A FhirClient as integrating software uses it, sending the given bearer token, parsing answers strictly.</summary>
    public static FhirClient Client(string token, ResourceFormat format = ResourceFormat.Json)
    {
        var http = new HttpClient(SharedHandler, disposeHandler: false);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var client = new FhirClient(FhirBase, http, new FhirClientSettings { PreferredFormat = format, VerifyFhirVersion = true });
        client.WithStrictSerializer(); // what the server sends must parse without leniency
        return client;
    }

    /// <summary>A médecin (TRE_G15 10) in normal care unless told otherwise.</summary>
    public static string Professional(string idNatPs = Doctor, string profession = "10", string purpose = "TREAT", string scope = "user/*.cruds") =>
        Mint([
            new Claim("sub", idNatPs), new Claim("idnps", idNatPs), new Claim("profession", profession),
            new Claim("purpose_of_use", purpose), new Claim("scope", scope), new Claim("name", "Dr Contrat"),
            // A bris de glace states its justification; centre 15 holds the regulation attribute (docs/PRO-SANTE-CONNECT.md).
            .. purpose == "BTG" ? [new Claim("purpose_of_use_reason", "Contract test: unconscious patient")] : Array.Empty<Claim>(),
            .. purpose == "ETREAT" ? [new Claim("regulation", "true")] : Array.Empty<Claim>(),
        ]);

    public static string Patient(string ins, string scope = "patient/*.cruds") =>
        Mint([new Claim("sub", ins), new Claim("ins", ins), new Claim("scope", scope), new Claim("name", "Patient Contrat")]);

    private static string Mint(IEnumerable<Claim> claims)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Setting("DMP_TOKEN_ISSUER", "Auth__Issuer") ?? "dmpapi-dev",
            Audience = Setting("DMP_TOKEN_AUDIENCE", "Auth__Audience") ?? "dmpapi",
            Subject = new ClaimsIdentity(claims),
            NotBefore = now.AddSeconds(-5),
            IssuedAt = now.AddSeconds(-5),
            Expires = now.AddHours(1),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(SigningKey.Value)), SecurityAlgorithms.HmacSha256),
        });
    }

    private static readonly Lazy<string> SigningKey = new(() =>
        Setting("DMP_SIGNING_KEY", "Auth__SigningKey")
        ?? JsonNode.Parse(File.ReadAllText(Repository.File("src", "DmpApi", "appsettings.Development.json")))?["Auth"]?["SigningKey"]?.GetValue<string>()
        ?? throw new InvalidOperationException("No signing key: set DMP_SIGNING_KEY to the server's Auth:SigningKey."));

    private static string? Setting(params string[] names) =>
        names.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}

/// <summary>Files of the repository (api-spec/, the development settings), found upwards from the test binaries.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(folder.FullName, "DmpApi.sln")))
            {
                return folder.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No DmpApi.sln above {AppContext.BaseDirectory}.");
    }
}

/// <summary>INS-NIR values (DMP-RULES §1): key = 97 − (first 13 digits mod 97).</summary>
internal static class InsNir
{
    public const string System = "urn:oid:1.2.250.1.213.1.4.8";

    /// <summary>A fresh, valid INS-NIR, so that every test opens its own record.</summary>
    public static string Random()
    {
        var r = global::System.Random.Shared;
        var body = $"{r.Next(1, 3)}{r.Next(30, 99):00}{r.Next(1, 13):00}{r.Next(10, 96):00}{r.Next(1, 999):000}{r.Next(1, 999):000}";
        return body + Key(body);
    }

    public static string Key(string first13) => (97 - (long.Parse(first13.Replace("2A", "19").Replace("2B", "18")) % 97)).ToString("00");

    public static bool IsValid(string ins) => ins.Length == 15 && Key(ins[..13]) == ins[13..];
}
