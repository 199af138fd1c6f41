using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using DmpApi.Auth;
using DmpApi.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DmpApi.Tests.Reliability;

/// <summary>Tokens an attacker would forge: valid claims, an issuer and audience the server trusts, a signature it must refuse.</summary>
public static class HostileTokens
{
    /// <summary>"alg": "none" and an empty signature (RFC 7519 §6: an unsecured JWT).</summary>
    public static string Unsigned(IEnumerable<Claim> claims)
    {
        var header = Base64Url("""{"alg":"none","typ":"JWT"}""");
        return $"{header}.{Payload(claims)}.";
    }

    /// <summary>Signed with the server's own shared key, but with another HMAC algorithm than the one accepted (HS256).</summary>
    public static string Hmac(IEnumerable<Claim> claims, string algorithm) =>
        Sign(claims, new SigningCredentials(DevelopmentTokens.Key(DmpApiApplication.Auth.SigningKey!), algorithm));

    /// <summary>Algorithm confusion: the header says RS256, the signature is an HMAC with the shared key.</summary>
    public static string ConfusedRs256(IEnumerable<Claim> claims)
    {
        var signingInput = $"{Base64Url("""{"alg":"RS256","typ":"JWT"}""")}.{Payload(claims)}";
        var signature = HMACSHA256.HashData(Encoding.UTF8.GetBytes(DmpApiApplication.Auth.SigningKey!), Encoding.ASCII.GetBytes(signingInput));
        return $"{signingInput}.{Base64UrlEncoder.Encode(signature)}";
    }

    /// <summary>RS256 with a key pair the attacker made; the header even names the key.</summary>
    public static string Rsa(IEnumerable<Claim> claims)
    {
        using var rsa = RSA.Create(2048);
        return Sign(claims, new SigningCredentials(new RsaSecurityKey(rsa.ExportParameters(true)) { KeyId = "attacker" }, SecurityAlgorithms.RsaSha256));
    }

    private static string Sign(IEnumerable<Claim> claims, SigningCredentials credentials)
    {
        var options = DmpApiApplication.Auth;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            Subject = new ClaimsIdentity(claims),
            NotBefore = DateTime.UtcNow.AddSeconds(-5),
            Expires = DateTime.UtcNow.AddMinutes(10),
            SigningCredentials = credentials,
        });
    }

    private static string Payload(IEnumerable<Claim> claims)
    {
        var options = DmpApiApplication.Auth;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var body = new Dictionary<string, object>
        {
            ["iss"] = options.Issuer!,
            ["aud"] = options.Audience!,
            ["nbf"] = now - 5,
            ["iat"] = now - 5,
            ["exp"] = now + 600,
        };
        foreach (var claim in claims)
        {
            body[claim.Type] = claim.Value;
        }

        return Base64Url(System.Text.Json.JsonSerializer.Serialize(body));
    }

    private static string Base64Url(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));
}
