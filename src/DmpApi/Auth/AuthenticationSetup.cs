using System.Net;
using System.Text;
using System.Text.Json;
using DmpApi.Fhir;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace DmpApi.Auth;

/// <summary>The authentication schemes: one per identity provider, and the bearer policy that picks one by the token's issuer.</summary>
public static class DmpAuthenticationSchemes
{
    /// <summary>The default scheme: forwards to the scheme of the token's issuer.</summary>
    public const string Bearer = JwtBearerDefaults.AuthenticationScheme;
    public const string ProSanteConnect = "ProSanteConnect";
    public const string Patient = "Patient";
    public const string Development = "Development";
}

public static class AuthenticationSetup
{
    /// <summary>
    /// JWT bearer (DESIGN §3): Pro Santé Connect (Auth:Authority) for professionals and the patients' identity provider
    /// (Auth:Patient:Authority) side by side, plus the development HS256 key when configured; the token's issuer picks the
    /// scheme. Each scheme reads the requester through its claim mapping (Auth:ClaimMappings). 401s are OperationOutcomes.
    /// </summary>
    public static IServiceCollection AddDmpAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section)
            .Validate(o => o.Authority is not null || o.Patient.Authority is not null || (o.SigningKey is { } k && Encoding.UTF8.GetByteCount(k) >= 32),
                "Configure Auth:Authority (Pro Santé Connect), Auth:Patient:Authority, or an Auth:SigningKey of at least 32 bytes.")
            .Validate(o => o.SigningKey is null || Encoding.UTF8.GetByteCount(o.SigningKey) >= 32, "Auth:SigningKey must hold at least 32 bytes.")
            .ValidateOnStart();
        var auth = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();

        services.AddMemoryCache();
        services.AddHttpClient(UserInfoClient.HttpClientName);
        services.AddSingleton<UserInfoClient>();
        services.AddSingleton<SmartEndpointsSource>();

        var authentication = services.AddAuthentication(DmpAuthenticationSchemes.Bearer)
            .AddPolicyScheme(DmpAuthenticationSchemes.Bearer, "Bearer token (scheme chosen by its issuer)",
                o => o.ForwardDefaultSelector = context => SchemeFor(context, auth));

        if (auth.Authority is not null)
        {
            authentication.AddJwtBearer(DmpAuthenticationSchemes.ProSanteConnect, o =>
                UseAuthority(o, auth, auth.Authority, auth.Audience, auth.ClaimMappings.ProSanteConnect));
        }

        if (auth.Patient.Authority is not null)
        {
            authentication.AddJwtBearer(DmpAuthenticationSchemes.Patient, o =>
                UseAuthority(o, auth, auth.Patient.Authority, auth.Patient.Audience ?? auth.Audience, auth.ClaimMappings.Patient));
        }

        if (auth.SigningKey is not null)
        {
            authentication.AddJwtBearer(DmpAuthenticationSchemes.Development, o =>
            {
                o.MapInboundClaims = false;
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = auth.Issuer,
                    ValidAudience = auth.Audience,
                    IssuerSigningKey = DevelopmentTokens.Key(auth.SigningKey),
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
                o.Events = Events(auth.ClaimMappings.Development);
            });
        }

        services.AddAuthorization();
        return services;
    }

    /// <summary>The authenticated requester of this request (set when the token was validated).</summary>
    public static Requester GetRequester(this HttpContext context) =>
        context.Features.Get<Requester>()
        ?? throw new FhirException(HttpStatusCode.Unauthorized, OperationOutcome.IssueType.Login, "A bearer token is required.");

    private static void UseAuthority(JwtBearerOptions o, AuthOptions auth, string authority, string audience, ClaimMapping mapping)
    {
        o.MapInboundClaims = false;
        o.Authority = authority;
        o.Audience = audience;
        o.RequireHttpsMetadata = auth.RequireHttpsMetadata;
        // A token signed by a key not yet in the cached JWKS makes the handler fetch the keys again (key rotation),
        // at most once per RefreshInterval; a retired key disappears from the keys at that fetch.
        o.RefreshOnIssuerKeyNotFound = true;
        o.RefreshInterval = auth.MetadataRefreshInterval;
        o.AutomaticRefreshInterval = auth.MetadataAutomaticRefresh;
        var metadataAddress = authority.TrimEnd('/') + "/.well-known/openid-configuration";
        o.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(metadataAddress, new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(new HttpClient { Timeout = TimeSpan.FromMinutes(1) }) { RequireHttps = auth.RequireHttpsMetadata })
        {
            RefreshInterval = auth.MetadataRefreshInterval,
            AutomaticRefreshInterval = auth.MetadataAutomaticRefresh,
            // The token handler would otherwise still accept keys of earlier ("last known good") key sets for an hour: a key
            // the provider retired (rotated out, perhaps compromised) is refused as soon as the keys are fetched without it.
            UseLastKnownGoodConfiguration = false,
        };
        o.TokenValidationParameters.ClockSkew = TimeSpan.FromSeconds(30);
        o.Events = Events(mapping);
    }

    /// <summary>Reads a token's issuer before validation (the handler is thread-safe and keeps no per-token state).</summary>
    private static readonly JsonWebTokenHandler TokenReader = new();

    /// <summary>The scheme of the token's issuer; a token from an unknown issuer goes to the first scheme, which refuses it.</summary>
    private static string SchemeFor(HttpContext context, AuthOptions auth)
    {
        // One scheme configured takes every token whatever its issuer (the branches below agree): issue 12, reading the
        // token here cost a second parse of every request's token.
        if (auth.Authority is null && auth.Patient.Authority is null && auth.SigningKey is not null)
        {
            return DmpAuthenticationSchemes.Development;
        }

        string? issuer = null;
        var header = context.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = header["Bearer ".Length..].Trim();
            if (TokenReader.CanReadToken(token))
            {
                issuer = TokenReader.ReadJsonWebToken(token).Issuer;
            }
        }

        static bool Same(string? a, string? b) =>
            a is not null && b is not null && string.Equals(a.TrimEnd('/'), b.TrimEnd('/'), StringComparison.Ordinal);

        if (Same(issuer, auth.Authority))
        {
            return DmpAuthenticationSchemes.ProSanteConnect;
        }

        if (Same(issuer, auth.Patient.Authority))
        {
            return DmpAuthenticationSchemes.Patient;
        }

        if (auth.SigningKey is not null && (issuer is null || issuer == auth.Issuer || (auth.Authority is null && auth.Patient.Authority is null)))
        {
            return DmpAuthenticationSchemes.Development;
        }

        return auth.Authority is not null ? DmpAuthenticationSchemes.ProSanteConnect
            : auth.Patient.Authority is not null ? DmpAuthenticationSchemes.Patient
            : DmpAuthenticationSchemes.Development;
    }

    private static JwtBearerEvents Events(ClaimMapping mapping) => new()
    {
        // Tokens travel in the Authorization header only: a token in a URL ends up in logs.
        OnMessageReceived = context =>
        {
            if (context.Request.Query.ContainsKey("access_token"))
            {
                context.Fail("Tokens are accepted in the Authorization header only.");
            }

            return Task.CompletedTask;
        },
        OnTokenValidated = async context =>
        {
            if (context.SecurityToken is not JsonWebToken token)
            {
                context.Fail("The token is not a JSON Web Token.");
                return;
            }

            using var payload = JsonDocument.Parse(Base64UrlEncoder.Decode(token.EncodedPayload));
            var sources = new List<JsonElement> { payload.RootElement };
            if (mapping.UseUserInfo && context.Options.ConfigurationManager is { } metadata)
            {
                var configuration = await metadata.GetConfigurationAsync(context.HttpContext.RequestAborted);
                var userInfo = await context.HttpContext.RequestServices.GetRequiredService<UserInfoClient>()
                    .GetAsync(configuration.UserInfoEndpoint, token.EncodedToken, token.ValidTo, context.HttpContext.RequestAborted);
                if (userInfo is null)
                {
                    context.Fail("The identity provider's userinfo could not be read with this token; sign in again.");
                    return;
                }

                sources.Add(userInfo.Value);
            }

            var requester = Requester.FromClaims(new ClaimPath([.. sources]), mapping, out var problem);
            if (requester is null)
            {
                context.Fail(problem!);
            }
            else
            {
                context.HttpContext.Features.Set(requester);
            }
        },
        OnChallenge = async context =>
        {
            context.HandleResponse();
            var why = context.AuthenticateFailure switch
            {
                SecurityTokenExpiredException => "The token has expired.",
                SecurityTokenNotYetValidException => "The token is not valid yet.",
                SecurityTokenInvalidAudienceException => "The token was not issued for this API (audience).",
                SecurityTokenInvalidIssuerException => "The token's issuer is not trusted.",
                SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The token's signature is not valid.",
                SecurityTokenInvalidAlgorithmException => "The token's signing algorithm is not accepted.",
                { } failure => failure.Message,
                null => "A bearer token is required (Authorization: Bearer <JWT>).",
            };
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await FhirExceptionHandler.WriteAsync(context.HttpContext, HttpStatusCode.Unauthorized,
                Outcomes.Build(OperationOutcome.IssueType.Login, why));
        },
    };
}
