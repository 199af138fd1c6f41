using System.Security.Claims;
using DmpApi.Auth;

namespace DmpApi.Tests.Infrastructure;

/// <summary>Real bearer tokens, minted with the application's development key (DESIGN §3).</summary>
public static class Tokens
{
    /// <summary>A médecin (TRE_G15 10); every test acts as this professional unless it says otherwise.</summary>
    public const string DoctorIdNatPs = "810001234567";

    public static string Professional(string idNatPs = DoctorIdNatPs, string profession = "10", string scope = "user/*.cruds") =>
        DevelopmentTokens.Mint(DmpApiApplication.Auth, DevelopmentTokens.Professional(idNatPs, profession, "Dr Test", scope: scope));

    /// <summary>
    /// A médecin (or other profession) acting in a given mode: TREAT, BTG (bris de glace, with its justification) or
    /// ETREAT (centre 15, with the regulation attribute).
    /// </summary>
    public static string ProfessionalFor(string purpose, string idNatPs, string profession = "10") =>
        DevelopmentTokens.Mint(DmpApiApplication.Auth, DevelopmentTokens.Professional(idNatPs, profession, "Dr Other", purpose,
            reason: purpose == "BTG" ? BreakTheGlassReason : null, regulation: purpose == "ETREAT"));

    public const string BreakTheGlassReason = "Patient unconscious in the emergency room, no relative reachable";

    public static string Patient(string ins, string scope = "patient/*.cruds") =>
        DevelopmentTokens.Mint(DmpApiApplication.Auth, DevelopmentTokens.Patient(ins, "Patient Test", scope));

    /// <summary>A legal representative acting for the minor whose INS is <paramref name="childIns"/> (issue 14).</summary>
    public static string Representative(string childIns, string representativeIns, string scope = "patient/*.cruds") =>
        DevelopmentTokens.Mint(DmpApiApplication.Auth, DevelopmentTokens.Representative(childIns, representativeIns, "Parent Test", scope));

    /// <summary>A token with arbitrary claims and options, for the authentication failure cases.</summary>
    public static string With(IEnumerable<Claim> claims, AuthOptions? options = null, DateTime? notBefore = null, DateTime? expires = null) =>
        DevelopmentTokens.Mint(options ?? DmpApiApplication.Auth, claims, notBefore, expires);
}

/// <summary>A system's client-credentials token (issue 15): the Assurance Maladie feed, known by its client id.</summary>
public static class SystemTokens
{
    public const string AssuranceMaladie = DmpApi.Auth.ClaimMapping.AssuranceMaladieClient;

    /// <summary>The development death feed (INSi / état civil), granted the death-record right.</summary>
    public const string DeathFeed = DmpApi.Auth.ClaimMapping.DeathFeedClient;

    public static string Feed(string clientId = AssuranceMaladie, string scope = "system/*.cruds") =>
        DevelopmentTokens.Mint(DmpApiApplication.Auth, DevelopmentTokens.System(clientId, scope));
}
