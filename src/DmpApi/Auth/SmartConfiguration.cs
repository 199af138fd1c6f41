using System.Net;
using System.Text.Json.Serialization;
using DmpApi.Fhir;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace DmpApi.Auth;

/// <summary>
/// GET /.well-known/smart-configuration (SMART App Launch 2.0 §2.3, at the FHIR base and at the root): where a client
/// gets tokens for this server. The endpoints come from Pro Santé Connect's discovery document (Auth:Authority), or
/// from Auth:Smart:AuthorizationEndpoint / TokenEndpoint.
/// </summary>
public static class SmartConfiguration
{
    /// <summary>The SMART permissions this server checks (Auth/SmartScopes.cs): v1 and v2 scopes, user and patient contexts.</summary>
    public static readonly IReadOnlyList<string> Capabilities =
        ["permission-v1", "permission-v2", "permission-user", "permission-patient", "client-confidential-symmetric"];

    public static readonly IReadOnlyList<string> Scopes =
        ["openid", "user/*.cruds", "user/*.rs", "user/DocumentReference.cruds", "patient/*.cruds", "patient/*.rs", "patient/DocumentReference.rs"];

    public static RouteHandlerBuilder MapSmartConfiguration(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/.well-known/smart-configuration", GetAsync)
            .AllowAnonymous()
            .WithTags("Metadata")
            .WithName(routes is RouteGroupBuilder ? "SmartConfigurationAtFhirBase" : "SmartConfiguration")
            .WithSummary("SMART App Launch configuration: the OpenID Connect provider's endpoints and the scopes this server checks");

    private static async Task<Results<Ok<SmartConfigurationDocument>, FhirResult>> GetAsync(SmartEndpointsSource source, CancellationToken cancellationToken)
    {
        var endpoints = await source.GetAsync(cancellationToken);
        if (endpoints is null)
        {
            return new FhirResult(HttpStatusCode.NotFound, Outcomes.Build(OperationOutcome.IssueType.NotFound,
                "No OpenID Connect provider is configured (Auth:Authority, or Auth:Smart:AuthorizationEndpoint and TokenEndpoint): "
                + "this server accepts development tokens only (the `token` command)."));
        }

        return TypedResults.Ok(new SmartConfigurationDocument(
            endpoints.Issuer, endpoints.JwksUri, endpoints.AuthorizationEndpoint, endpoints.TokenEndpoint,
            endpoints.GrantTypes, endpoints.TokenEndpointAuthMethods, endpoints.CodeChallengeMethods, Scopes, Capabilities));
    }
}

/// <summary>The SMART configuration document (SMART App Launch 2.0 §2.3); snake_case as the specification names it.</summary>
public sealed record SmartConfigurationDocument(
    [property: JsonPropertyName("issuer")] string? Issuer,
    [property: JsonPropertyName("jwks_uri")] string? JwksUri,
    [property: JsonPropertyName("authorization_endpoint")] string? AuthorizationEndpoint,
    [property: JsonPropertyName("token_endpoint")] string TokenEndpoint,
    [property: JsonPropertyName("grant_types_supported")] IReadOnlyList<string> GrantTypesSupported,
    [property: JsonPropertyName("token_endpoint_auth_methods_supported")] IReadOnlyList<string> TokenEndpointAuthMethodsSupported,
    [property: JsonPropertyName("code_challenge_methods_supported")] IReadOnlyList<string> CodeChallengeMethodsSupported,
    [property: JsonPropertyName("scopes_supported")] IReadOnlyList<string> ScopesSupported,
    [property: JsonPropertyName("capabilities")] IReadOnlyList<string> Capabilities);

/// <summary>The professionals' OpenID Connect provider's endpoints, as its discovery document or the configuration gives them.</summary>
public sealed record SmartEndpoints(
    string? Issuer, string? JwksUri, string? AuthorizationEndpoint, string TokenEndpoint,
    IReadOnlyList<string> GrantTypes, IReadOnlyList<string> TokenEndpointAuthMethods, IReadOnlyList<string> CodeChallengeMethods);

/// <summary>Reads the endpoints from the Pro Santé Connect scheme's discovery document (cached by its configuration manager).</summary>
public sealed class SmartEndpointsSource(IOptions<AuthOptions> options, IOptionsMonitor<JwtBearerOptions> bearer, ILogger<SmartEndpointsSource> logger)
{
    public async Task<SmartEndpoints?> GetAsync(CancellationToken cancellationToken)
    {
        var auth = options.Value;
        OpenIdConnectConfiguration? discovered = null;
        if (auth.Authority is not null && bearer.Get(DmpAuthenticationSchemes.ProSanteConnect).ConfigurationManager is { } metadata)
        {
            try
            {
                discovered = await metadata.GetConfigurationAsync(cancellationToken);
            }
            catch (InvalidOperationException e)
            {
                logger.LogWarning(e, "The discovery document of {Authority} could not be read", auth.Authority);
            }
        }

        if ((auth.Smart.TokenEndpoint ?? discovered?.TokenEndpoint) is not { Length: > 0 } token)
        {
            return null;
        }

        static IReadOnlyList<string> Or(ICollection<string>? found, params string[] otherwise) => found is { Count: > 0 } ? [.. found] : otherwise;
        return new SmartEndpoints(
            discovered?.Issuer ?? auth.Authority,
            discovered?.JwksUri,
            auth.Smart.AuthorizationEndpoint ?? discovered?.AuthorizationEndpoint,
            token,
            Or(discovered?.GrantTypesSupported, "authorization_code"),
            Or(discovered?.TokenEndpointAuthMethodsSupported, "client_secret_basic"),
            Or(discovered?.CodeChallengeMethodsSupported, "S256"));
    }
}
