using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DmpApi.Auth;

/// <summary>Mints HS256 development tokens with the claim set of DESIGN §3 (the `token` command, tests, the benchmark).</summary>
public static class DevelopmentTokens
{
    public static SymmetricSecurityKey Key(string signingKey) => new(Encoding.UTF8.GetBytes(signingKey));

    public static string Mint(AuthOptions options, IEnumerable<Claim> claims, DateTime? notBefore = null, DateTime? expires = null)
    {
        if (string.IsNullOrEmpty(options.SigningKey))
        {
            throw new InvalidOperationException("No development signing key is configured (Auth:SigningKey).");
        }

        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            Subject = new ClaimsIdentity(claims),
            NotBefore = notBefore ?? now.AddSeconds(-5),
            IssuedAt = notBefore ?? now.AddSeconds(-5),
            Expires = expires ?? now.Add(options.DevelopmentTokenLifetime),
            SigningCredentials = new SigningCredentials(Key(options.SigningKey), SecurityAlgorithms.HmacSha256),
        });
    }

    /// <param name="reason">The justification of the access mode (required for BTG).</param>
    /// <param name="regulation">Grants the medical regulation attribute (required for ETREAT).</param>
    public static IEnumerable<Claim> Professional(string idNatPs, string profession, string? name = null, string purpose = "TREAT", string scope = "user/*.cruds",
        string? reason = null, bool regulation = false)
    {
        yield return new Claim("sub", idNatPs);
        yield return new Claim("idnps", idNatPs);
        yield return new Claim("profession", profession);
        yield return new Claim("purpose_of_use", purpose);
        yield return new Claim("scope", scope);
        if (name is not null) yield return new Claim("name", name);
        if (reason is not null) yield return new Claim("purpose_of_use_reason", reason);
        if (regulation) yield return new Claim("regulation", "true");
    }

    public static IEnumerable<Claim> Patient(string ins, string? name = null, string scope = "patient/*.cruds")
    {
        yield return new Claim("sub", ins);
        yield return new Claim("ins", ins);
        yield return new Claim("scope", scope);
        if (name is not null) yield return new Claim("name", name);
    }

    /// <summary>A system's client-credentials token (SMART Backend Services): its client id and system/… scopes, no person.</summary>
    public static IEnumerable<Claim> System(string clientId, string scope = "system/*.cud")
    {
        yield return new Claim("sub", clientId);
        yield return new Claim("client_id", clientId);
        yield return new Claim("scope", scope);
    }
}
