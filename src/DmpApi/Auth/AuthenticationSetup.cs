using System.Net;
using System.Text;
using DmpApi.Fhir;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace DmpApi.Auth;

public static class AuthenticationSetup
{
    /// <summary>JWT bearer (DESIGN §3): OIDC authority when configured, else the development HS256 key; 401s are OperationOutcomes.</summary>
    public static IServiceCollection AddDmpAuthentication(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section)
            .Validate(o => o.Authority is not null || (o.SigningKey is { } k && Encoding.UTF8.GetByteCount(k) >= 32),
                "Configure Auth:Authority (OpenID Connect) or an Auth:SigningKey of at least 32 bytes.")
            .ValidateOnStart();
        var auth = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions();

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.Audience = auth.Audience;
            if (auth.Authority is not null)
            {
                o.Authority = auth.Authority;
            }
            else
            {
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = auth.Issuer,
                    ValidAudience = auth.Audience,
                    IssuerSigningKey = DevelopmentTokens.Key(auth.SigningKey ?? string.Empty),
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
            }

            o.Events = new JwtBearerEvents
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
                OnTokenValidated = context =>
                {
                    var requester = Requester.FromPrincipal(context.Principal!, out var problem);
                    if (requester is null)
                    {
                        context.Fail(problem!);
                    }
                    else
                    {
                        context.HttpContext.Features.Set(requester);
                    }

                    return Task.CompletedTask;
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
        });
        services.AddAuthorization();
        return services;
    }

    /// <summary>The authenticated requester of this request (set when the token was validated).</summary>
    public static Requester GetRequester(this HttpContext context) =>
        context.Features.Get<Requester>()
        ?? throw new FhirException(HttpStatusCode.Unauthorized, OperationOutcome.IssueType.Login, "A bearer token is required.");
}
