using System.Security.Claims;

namespace DmpApi.Auth;

public enum RequesterKind { Professional, Patient }

/// <summary>Who is asking, built from the token's claims (DESIGN §3).</summary>
public sealed record Requester(
    RequesterKind Kind,
    string Subject,
    string? IdNatPs,
    string? Profession,
    string? Ins,
    string? Name,
    string PurposeOfUse,
    IReadOnlySet<string> Scopes)
{
    public const string TreatmentPurpose = "TREAT";

    /// <summary>The system of a professional's national identifier, idNatPs (DMP-RULES §1): the one home of this fact.</summary>
    public const string IdNatPsSystem = "urn:oid:1.2.250.1.71.4.2.1";
    public static readonly IReadOnlySet<string> PurposesOfUse = new HashSet<string> { "TREAT", "BTG", "ETREAT" };

    /// <summary>TRE_G15 profession codes the server knows (DMP-RULES §1); any other is refused at authentication.</summary>
    public static readonly IReadOnlySet<string> KnownProfessions = new HashSet<string>
    {
        "10", "21", "40", "50", "60", "69", "70", "80", "81", "82", "83", "84", "85", "86", "91", "92", "94", "95", "96", "98",
    };

    /// <summary>Reads the requester from a validated principal; null when the claims do not describe one (then 401).</summary>
    public static Requester? FromPrincipal(ClaimsPrincipal principal, out string? problem)
    {
        string? Claim(string type) => principal.FindFirst(type)?.Value is { Length: > 0 } v ? v : null;

        var idnps = Claim("idnps");
        var ins = Claim("ins");
        var scopes = (Claim("scope") ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        var subject = Claim("sub") ?? idnps ?? ins ?? string.Empty;
        problem = null;

        if (idnps is not null && ins is not null)
        {
            problem = "The token names both a professional (idnps) and a patient (ins); it must name one.";
            return null;
        }

        if (idnps is not null)
        {
            var profession = Claim("profession");
            if (profession is null || !KnownProfessions.Contains(profession))
            {
                problem = $"The token's profession '{profession}' is not a known TRE_G15 code.";
                return null;
            }

            var purpose = Claim("purpose_of_use") ?? TreatmentPurpose;
            if (!PurposesOfUse.Contains(purpose))
            {
                problem = $"The token's purpose_of_use '{purpose}' is not one of TREAT, BTG, ETREAT.";
                return null;
            }

            return new Requester(RequesterKind.Professional, subject, idnps, profession, null, Claim("name"), purpose, scopes);
        }

        if (ins is not null)
        {
            return new Requester(RequesterKind.Patient, subject, null, null, ins.Replace(" ", string.Empty), Claim("name"), TreatmentPurpose, scopes);
        }

        problem = "The token names neither a professional (idnps) nor a patient (ins).";
        return null;
    }
}
