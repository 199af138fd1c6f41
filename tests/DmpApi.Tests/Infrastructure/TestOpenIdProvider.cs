using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DmpApi.Tests.Infrastructure;

/// <summary>
/// A real OpenID Connect provider on a local port, shaped like Pro Santé Connect's Keycloak realm (docs/PRO-SANTE-CONNECT.md):
/// a discovery document, a JWKS with RS256 keys that can be rotated, a token endpoint issuing access tokens for the
/// accounts it knows, and a userinfo endpoint answering PSC's attributes (SubjectRefPro, Acces_Regulation_Medicale…).
/// The API under test finds all of it through Auth:Authority, as in production.
/// </summary>
public sealed class TestOpenIdProvider : IAsyncDisposable
{
    private readonly WebApplication _host;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Account> _accounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _subjectsByToken = new(StringComparer.Ordinal);
    private List<RsaSecurityKey> _published;
    private RsaSecurityKey _signing;
    private int _userInfoCalls;

    private TestOpenIdProvider(WebApplication host, string realm)
    {
        _host = host;
        Realm = realm;
        _signing = NewKey();
        _published = [_signing];
    }

    public string Realm { get; }

    /// <summary>The issuer, also the Authority the API is configured with (Keycloak's realm URL).</summary>
    public string Issuer { get; private set; } = string.Empty;

    public string Audience { get; set; } = DmpApiApplication.Auth.Audience;

    /// <summary>How many times the userinfo endpoint answered (the API caches it per token).</summary>
    public int UserInfoCalls => Volatile.Read(ref _userInfoCalls);

    /// <summary>The key that signed the tokens issued so far, to forge one with it after it is retired.</summary>
    public RsaSecurityKey SigningKey => _signing;

    public static async Task<TestOpenIdProvider> StartAsync(string realm = "esante-wallet")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var host = builder.Build();
        var provider = new TestOpenIdProvider(host, realm);
        provider.Map(host);
        await host.StartAsync();
        var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        provider.Issuer = $"{address.TrimEnd('/')}/auth/realms/{realm}";
        return provider;
    }

    /// <summary>Knows this account: its access tokens and userinfo describe it.</summary>
    public void Register(Account account)
    {
        lock (_gate)
        {
            _accounts[account.Subject] = account;
        }
    }

    /// <summary>A new signing key: published beside the old one, or alone when the old one is retired.</summary>
    public RsaSecurityKey RotateKey(bool retireOld)
    {
        lock (_gate)
        {
            var next = NewKey();
            _published = retireOld ? [next] : [.. _published, next];
            _signing = next;
            return next;
        }
    }

    /// <summary>Gets an access token from the token endpoint, as a client would (a password grant stands in for the browser flow).</summary>
    public async Task<string> TokenAsync(Account account)
    {
        Register(account);
        using var http = new HttpClient();
        using var response = await http.PostAsync(Issuer + "/protocol/openid-connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "password",
            ["username"] = account.Subject,
            ["client_id"] = "lps-tests",
        }));
        response.EnsureSuccessStatusCode();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return body["access_token"]!.GetValue<string>();
    }

    /// <summary>A token signed with a given key (e.g. a retired one), for the account, without asking the token endpoint.</summary>
    public string Forge(Account account, RsaSecurityKey key)
    {
        Register(account);
        return Sign(account, key);
    }

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    private static RsaSecurityKey NewKey() => new(RSA.Create(2048)) { KeyId = Guid.NewGuid().ToString("N") };

    private string Sign(Account account, RsaSecurityKey key)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["typ"] = "Bearer",
            ["azp"] = "lps-tests",
            ["scope"] = account.Scope,
        };
        foreach (var (name, value) in account.TokenClaims)
        {
            claims[name] = value;
        }

        var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Subject = new ClaimsIdentity([new Claim("sub", account.Subject)]),
            Claims = claims,
            NotBefore = now.AddSeconds(-5),
            IssuedAt = now.AddSeconds(-5),
            Expires = now.AddMinutes(10),
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
        lock (_gate)
        {
            _subjectsByToken[token] = account.Subject;
        }

        return token;
    }

    private void Map(WebApplication app)
    {
        var realm = $"/auth/realms/{Realm}";
        app.MapGet(realm + "/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = Issuer + "/protocol/openid-connect/auth",
            ["token_endpoint"] = Issuer + "/protocol/openid-connect/token",
            ["userinfo_endpoint"] = Issuer + "/protocol/openid-connect/userinfo",
            ["jwks_uri"] = Issuer + "/protocol/openid-connect/certs",
            ["grant_types_supported"] = new[] { "authorization_code", "refresh_token" },
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
        }));
        app.MapGet(realm + "/protocol/openid-connect/certs", () =>
        {
            List<RsaSecurityKey> keys;
            lock (_gate)
            {
                keys = [.. _published];
            }

            var parameters = keys.Select(k => (k.KeyId, Public: k.Rsa.ExportParameters(false)));
            return Results.Json(new
            {
                keys = parameters.Select(k => new Dictionary<string, string>
                {
                    ["kty"] = "RSA",
                    ["use"] = "sig",
                    ["alg"] = "RS256",
                    ["kid"] = k.KeyId,
                    ["n"] = Base64UrlEncoder.Encode(k.Public.Modulus!),
                    ["e"] = Base64UrlEncoder.Encode(k.Public.Exponent!),
                }),
            });
        });
        app.MapPost(realm + "/protocol/openid-connect/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            Account? account;
            lock (_gate)
            {
                _accounts.TryGetValue(form["username"].ToString(), out account);
            }

            if (form["grant_type"] != "password" || account is null)
            {
                return Results.Json(new { error = "invalid_grant" }, statusCode: 400);
            }

            return Results.Json(new { access_token = Sign(account, _signing), token_type = "Bearer", expires_in = 600 });
        });
        app.MapGet(realm + "/protocol/openid-connect/userinfo", (HttpRequest request) =>
        {
            var header = request.Headers.Authorization.ToString();
            Account? account = null;
            lock (_gate)
            {
                if (header.StartsWith("Bearer ", StringComparison.Ordinal) && _subjectsByToken.TryGetValue(header[7..], out var subject))
                {
                    _accounts.TryGetValue(subject, out account);
                }
            }

            if (account is null)
            {
                return Results.Json(new { error = "invalid_token" }, statusCode: 401);
            }

            Interlocked.Increment(ref _userInfoCalls);
            return Results.Text(account.UserInfo.ToJsonString(), "application/json");
        });
    }

    /// <summary>An account of the provider: the claims its access tokens carry and its userinfo answer.</summary>
    public sealed record Account(string Subject, IReadOnlyDictionary<string, object> TokenClaims, JsonObject UserInfo, string Scope = "openid user/*.cruds");
}
