using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.Tokens;

namespace DmpApi.Auth;

/// <summary>
/// An identity provider's userinfo answer for an access token (OpenID Connect Core §5.3), where Pro Santé Connect puts
/// the practices and the regulation attribute. Cached per token until it expires: one call per session, not per request.
/// </summary>
public sealed class UserInfoClient(IHttpClientFactory httpClients, IMemoryCache cache, ILogger<UserInfoClient> logger)
{
    public const string HttpClientName = "userinfo";

    /// <summary>The userinfo claims, or null when the endpoint is unknown or does not answer 200 with JSON (or a JWT).</summary>
    public async Task<JsonElement?> GetAsync(string? endpoint, string accessToken, DateTime expires, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(endpoint))
        {
            logger.LogWarning("The identity provider's discovery document names no userinfo_endpoint; the claim mapping asks for userinfo");
            return null;
        }

        // The key is a hash: the cache never holds a usable token.
        var key = "userinfo:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(accessToken)));
        if (cache.TryGetValue(key, out JsonElement cached))
        {
            return cached;
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, endpoint);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        request.Headers.Accept.ParseAdd("application/json");
        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            logger.LogWarning("The userinfo endpoint {Endpoint} answered {Status}", endpoint, (int)response.StatusCode);
            return null;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        // OpenID Connect lets the provider answer a signed JWT (application/jwt); it came straight from the provider over TLS
        // with this token, so its payload is read as the JSON answer would be.
        if (response.Content.Headers.ContentType?.MediaType == "application/jwt")
        {
            var parts = body.Trim().Split('.');
            body = parts.Length >= 2 ? Base64UrlEncoder.Decode(parts[1]) : "{}";
        }

        JsonElement claims;
        try
        {
            claims = JsonDocument.Parse(body).RootElement.Clone();
        }
        catch (JsonException e)
        {
            logger.LogWarning(e, "The userinfo endpoint {Endpoint} answered something that is not JSON", endpoint);
            return null;
        }

        var until = new DateTimeOffset(DateTime.SpecifyKind(expires, DateTimeKind.Utc));
        if (until > DateTimeOffset.UtcNow)
        {
            cache.Set(key, claims, until);
        }

        return claims;
    }
}
