namespace DmpApi.Auth;

/// <summary>Configuration section "Auth" (DESIGN §3): an OpenID Connect authority in production, an HS256 key in development.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>OpenID Connect issuer (Pro Santé Connect for French professionals). When set, tokens are checked against its keys.</summary>
    public string? Authority { get; set; }

    public string Audience { get; set; } = "dmpapi";

    /// <summary>Issuer of development tokens signed with <see cref="SigningKey"/>.</summary>
    public string Issuer { get; set; } = "dmpapi-dev";

    /// <summary>Development signing key (HS256, at least 32 bytes). Never configured in production.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Lifetime of tokens minted by the `token` command.</summary>
    public TimeSpan DevelopmentTokenLifetime { get; set; } = TimeSpan.FromHours(8);
}
