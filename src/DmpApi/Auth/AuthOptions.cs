namespace DmpApi.Auth;

/// <summary>Configuration section "Auth" (DESIGN §3): OpenID Connect authorities in production, an HS256 key in development.</summary>
public sealed class AuthOptions
{
    public const string Section = "Auth";

    /// <summary>OpenID Connect issuer of professionals' tokens (Pro Santé Connect). When set, its tokens are checked against its published keys.</summary>
    public string? Authority { get; set; }

    public string Audience { get; set; } = "dmpapi";

    /// <summary>Issuer of development tokens signed with <see cref="SigningKey"/>.</summary>
    public string Issuer { get; set; } = "dmpapi-dev";

    /// <summary>Development signing key (HS256, at least 32 bytes). Never configured in production.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Lifetime of tokens minted by the `token` command.</summary>
    public TimeSpan DevelopmentTokenLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>
    /// Shortest wait between two fetches of an authority's discovery document and keys when a token names an unknown key
    /// (a key rotation); the keys are also fetched again every <see cref="MetadataAutomaticRefresh"/>.
    /// </summary>
    public TimeSpan MetadataRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan MetadataAutomaticRefresh { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Require https for the authorities' metadata; only tests and local providers turn it off.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>The patients' own identity provider, beside Pro Santé Connect (Auth:Patient:Authority…).</summary>
    public PatientAuthorityOptions Patient { get; set; } = new();

    /// <summary>Where each requester field is read in each provider's claims (Auth:ClaimMappings:ProSanteConnect, :Patient, :Development).</summary>
    public ClaimMappings ClaimMappings { get; set; } = new();

    /// <summary>SMART endpoints to publish when they do not come from the authority's discovery document (Auth:Smart…).</summary>
    public SmartEndpointsOptions Smart { get; set; } = new();
}

/// <summary>Auth:Patient: the OpenID Connect provider through which patients sign in (their own identity provider).</summary>
public sealed class PatientAuthorityOptions
{
    public string? Authority { get; set; }

    /// <summary>Expected `aud` of patients' tokens; the professionals' audience when empty.</summary>
    public string? Audience { get; set; }
}

/// <summary>Auth:Smart: overrides of what /.well-known/smart-configuration and the CapabilityStatement publish.</summary>
public sealed class SmartEndpointsOptions
{
    public string? AuthorizationEndpoint { get; set; }
    public string? TokenEndpoint { get; set; }
}
