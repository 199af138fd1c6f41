namespace DmpApi.Fhir;

/// <summary>
/// Configuration section "Hosting": how this server names itself in Location, fullUrl, paging links and attachment URLs.
/// Behind a reverse proxy the fleet sets <see cref="PublicBaseUrl"/> (or trusts the proxy's X-Forwarded-* headers,
/// see Hosting/ForwardedHeadersSetup), so that a client's own Host header never becomes a URL the server hands out.
/// </summary>
public sealed class PublicUrlOptions
{
    public const string Section = "Hosting";

    /// <summary>The public origin and path base, e.g. https://dmp.example.fr; /fhir is appended. Empty: taken from the request.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Addresses of the reverse proxies whose X-Forwarded-For/Proto/Host are trusted.</summary>
    public string[] KnownProxies { get; set; } = [];

    /// <summary>Networks (CIDR, e.g. 172.28.0.0/24) whose X-Forwarded-For/Proto/Host are trusted.</summary>
    public string[] KnownNetworks { get; set; } = [];
}
