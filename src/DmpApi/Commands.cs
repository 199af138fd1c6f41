using DmpApi.Auth;
using DmpApi.Storage;

namespace DmpApi;

/// <summary>
/// The binary's commands besides serving: `migrate` applies the schema, `token` mints a development token
/// (DESIGN §3), `verify-audit` walks the audit hash chain. All read the same configuration as the server.
/// </summary>
internal static class Commands
{
    /// <summary>
    /// A Debug build (what `dotnet run` makes) defaults to the Development environment, with its development signing
    /// key; a Release build (the container) defaults to Production. ASPNETCORE_ENVIRONMENT always wins.
    /// </summary>
    public static WebApplicationOptions HostOptions(string[] args) => new()
    {
        Args = args,
        EnvironmentName = Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT")
            ?? Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT")
#if DEBUG
            ?? Environments.Development,
#else
            ?? Environments.Production,
#endif
    };


    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] is "migrate" or "token" or "seed" or "verify-audit";

    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(HostOptions(args[1..]));
        builder.Logging.ClearProviders();
        return args[0] switch
        {
            "migrate" => await MigrateAsync(builder),
            "seed" => await Seeding.SeedCommand.RunAsync(builder, args[1..]),
            "verify-audit" => await Audit.VerifyAuditCommand.RunAsync(builder, Console.Out),
            _ => Token(builder.Configuration, args[1..]),
        };
    }

    private static async Task<int> MigrateAsync(WebApplicationBuilder builder)
    {
        builder.Services.AddRecordStore(builder.Configuration, builder.Environment);
        await using var app = builder.Build();
        await app.Services.MigrateRecordStoreAsync();
        Console.Error.WriteLine("The database schema is up to date.");
        return 0;
    }

    private static int Token(IConfiguration configuration, string[] args)
    {
        var options = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();
        if (string.IsNullOrEmpty(options.SigningKey))
        {
            Console.Error.WriteLine("No development signing key is configured (Auth:SigningKey): tokens come from the identity provider here.");
            return 2;
        }

        string? Option(string name)
        {
            var i = Array.IndexOf(args, "--" + name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        var kind = args.FirstOrDefault();
        var claims = kind switch
        {
            "practitioner" when Option("idnps") is { } idnps && Option("profession") is { } profession =>
                DevelopmentTokens.Professional(idnps, profession, Option("name"), Option("purpose") ?? "TREAT", Option("scope") ?? "user/*.cruds",
                    Option("reason"), args.Contains("--regulation")),
            "patient" when Option("ins") is { } ins =>
                DevelopmentTokens.Patient(ins, Option("name"), Option("scope") ?? "patient/*.cruds"),
            "system" when Option("client-id") is { } clientId => DevelopmentTokens.System(clientId, Option("scope") ?? "system/*.cud"),
            _ => null,
        };
        if (claims is null)
        {
            Console.Error.WriteLine("""
                Usage:
                  token practitioner --idnps 810001234567 --profession 10 [--name "Dr A"] [--purpose TREAT|BTG|ETREAT] [--reason "why (required for BTG)"] [--regulation] [--scope "user/*.cruds"]
                  token patient --ins 255081416802538 [--name "Jeanne D"] [--scope "patient/*.cruds"]
                  token system --client-id assurance-maladie [--scope "system/*.cud"]
                """);
            return 2;
        }

        Console.WriteLine(DevelopmentTokens.Mint(options, claims));
        return 0;
    }
}
