using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using DmpApi.Auth;
using DmpApi.Fhir;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Options;

namespace DmpApi.Search;

/// <summary>What a page token carries: the search, where the page starts, who may use it, until when.</summary>
public sealed record PageState(string Type, string Query, int Offset, string Requester, long Expires);

/// <summary>
/// Opaque, signed, expiring page tokens bound to the requester (DESIGN §4). Self-contained, so that any instance
/// behind a load balancer can serve the next page: every instance signs with the same key, from configuration
/// (Search:PageTokenKey, else one derived from Auth:SigningKey). Production refuses to start without one
/// (<see cref="HasSharedKey"/>): a key derived from the public authority URL would let anyone forge tokens.
/// </summary>
public sealed class PageTokens
{
    private readonly byte[] _key;
    private readonly SearchOptions _options;
    private readonly TimeProvider _clock;

    public PageTokens(IOptions<SearchOptions> options, IOptions<AuthOptions> auth, TimeProvider clock)
    {
        _options = options.Value;
        _clock = clock;
        // Outside Production, a deployment with an identity provider and no key still pages (on one instance).
        var secret = _options.PageTokenKey ?? auth.Value.SigningKey ?? auth.Value.Authority ?? "dmpapi";
        _key = SHA256.HashData(Encoding.UTF8.GetBytes("dmpapi-page-token:" + secret));
    }

    /// <summary>True when the configuration holds a secret of at least 32 bytes to share between instances.</summary>
    public static bool HasSharedKey(SearchOptions options, AuthOptions auth) =>
        (options.PageTokenKey ?? auth.SigningKey) is { } secret && Encoding.UTF8.GetByteCount(secret) >= 32;

    public string Issue(string type, string query, int offset, Requester requester)
    {
        var state = new PageState(type, query, offset, requester.Subject, _clock.GetUtcNow().Add(_options.PageTokenLifetime).ToUnixTimeSeconds());
        var payload = JsonSerializer.SerializeToUtf8Bytes(state);
        return Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(_key, payload));
    }

    public PageState Read(string token, string type, Requester requester)
    {
        var dot = token.IndexOf('.');
        byte[] payload, signature;
        try
        {
            payload = dot > 0 ? Base64Url.DecodeFromChars(token.AsSpan(0, dot)) : throw new FormatException();
            signature = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            throw Invalid("The page token is malformed.");
        }

        if (!CryptographicOperations.FixedTimeEquals(signature, HMACSHA256.HashData(_key, payload)))
        {
            throw Invalid("The page token is not one this server issued.");
        }

        var state = JsonSerializer.Deserialize<PageState>(payload) ?? throw Invalid("The page token is malformed.");
        if (state.Expires < _clock.GetUtcNow().ToUnixTimeSeconds())
        {
            throw Invalid("The page token has expired; run the search again.");
        }

        if (state.Type != type || state.Requester != requester.Subject)
        {
            throw Invalid("The page token was issued for another search or another requester.");
        }

        return state;
    }

    private static FhirException Invalid(string diagnostics) => FhirException.BadRequest(diagnostics, OperationOutcome.IssueType.Invalid);
}
