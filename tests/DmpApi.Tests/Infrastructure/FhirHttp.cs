using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DmpApi.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace DmpApi.Tests.Infrastructure;

/// <summary>
/// A thin FHIR client over the test server's HttpClient: sends POCOs as application/fhir+json (or XML) with a real
/// bearer token, and parses answers with the Hl7.Fhir SDK. Raw requests go through <see cref="SendAsync"/>.
/// </summary>
public sealed class FhirHttp(HttpClient http, string? token)
{
    public const string Json = "application/fhir+json";
    public const string Xml = "application/fhir+xml";

    private static readonly FhirXmlSerializer XmlSerializer = new();

    public HttpClient Http => http;

    /// <summary>The same client acting with another token (null: no Authorization header).</summary>
    public FhirHttp As(string? otherToken) => new(http, otherToken);

    public Task<FhirResponse> CreateAsync(Resource resource, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Post, $"fhir/{resource.TypeName}", JsonContent(resource), configure);

    public Task<FhirResponse> UpdateAsync(Resource resource, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Put, $"fhir/{resource.TypeName}/{resource.Id}", JsonContent(resource), configure);

    public Task<FhirResponse> GetAsync(string url, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Get, url, null, configure);

    /// <summary>PATCH [base]/{type}/{id} with a JSON Patch document (RFC 6902), written as JSON text.</summary>
    public Task<FhirResponse> PatchAsync(string url, string jsonPatch, Action<HttpRequestMessage>? configure = null) =>
        SendAsync(HttpMethod.Patch, url, Body(jsonPatch, "application/json-patch+json"), configure);

    public Task<FhirResponse> DeleteAsync(string url) => SendAsync(HttpMethod.Delete, url, null, null);

    /// <summary>GET [base]/{type}?{query}; the query is sent as written (encode values with <see cref="Uri.EscapeDataString(string)"/>).</summary>
    public Task<FhirResponse> SearchAsync(string type, string query, Action<HttpRequestMessage>? configure = null) =>
        GetAsync($"fhir/{type}?{query}", configure);

    /// <summary>POST [base]/{type}/_search with the parameters in a form body.</summary>
    public Task<FhirResponse> SearchByPostAsync(string type, IEnumerable<KeyValuePair<string, string>> parameters) =>
        SendAsync(HttpMethod.Post, $"fhir/{type}/_search", new FormUrlEncodedContent(parameters), null);

    public async Task<FhirResponse> SendAsync(HttpMethod method, string url, HttpContent? content, Action<HttpRequestMessage>? configure)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        configure?.Invoke(request);
        using var response = await http.SendAsync(request);
        return new FhirResponse(response.StatusCode, response.Headers, response.Content.Headers, await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>Arrange helper: creates the resource, insists on 201, and returns what the server stored.</summary>
    public async Task<T> CreatedAsync<T>(T resource) where T : Resource
    {
        var response = await CreateAsync(resource);
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Created), $"Arrange: creating a {resource.TypeName} failed: {response}");
        return response.Resource<T>();
    }

    /// <summary>Arrange helper: follows a search and returns its Bundle, insisting on 200.</summary>
    public async Task<Bundle> SearchBundleAsync(string type, string query, Action<HttpRequestMessage>? configure = null)
    {
        var response = await SearchAsync(type, query, configure);
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), $"GET {type}?{query}: {response}");
        return response.Resource<Bundle>();
    }

    public static HttpContent JsonContent(Resource resource) => Body(JsonBytes(resource), Json);

    /// <summary>The resource as FHIR JSON, through the application's one shared serializer options.</summary>
    public static byte[] JsonBytes(Resource resource) => JsonSerializer.SerializeToUtf8Bytes(resource, FhirWire.JsonOptions);

    public static HttpContent XmlContent(Resource resource) =>
        Body(Encoding.UTF8.GetBytes(XmlSerializer.SerializeToString(resource)), Xml);

    public static HttpContent Body(string text, string mediaType) => Body(Encoding.UTF8.GetBytes(text), mediaType);

    public static HttpContent Body(byte[] bytes, string? mediaType)
    {
        var content = new ByteArrayContent(bytes);
        if (mediaType is not null)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        }

        return content;
    }
}

/// <summary>A buffered answer: status, headers, body, and the body parsed as a FHIR resource on demand.</summary>
public sealed class FhirResponse(HttpStatusCode status, HttpResponseHeaders headers, HttpContentHeaders contentHeaders, byte[] body)
{
    private static readonly FhirXmlDeserializer XmlDeserializer = new();

    public HttpStatusCode Status { get; } = status;
    public HttpResponseHeaders Headers { get; } = headers;
    public HttpContentHeaders ContentHeaders { get; } = contentHeaders;
    public byte[] Body { get; } = body;
    public string? MediaType => ContentHeaders.ContentType?.MediaType;
    public string Text => Encoding.UTF8.GetString(Body);
    public string? ETag => Headers.ETag?.ToString();
    public Uri? Location => Headers.Location;

    /// <summary>The body parsed with the SDK, JSON or XML by its content type; fails the test if it is not a T.</summary>
    public T Resource<T>() where T : Resource
    {
        Resource? parsed;
        try
        {
            parsed = MediaType == FhirHttp.Xml
                ? XmlDeserializer.Deserialize<Resource>(Text)
                : JsonSerializer.Deserialize<Resource>(Body, FhirWire.JsonOptions);
        }
        catch (Exception e) when (e is DeserializationFailedException or JsonException or System.Xml.XmlException)
        {
            throw new AssertionException($"The body is not a FHIR resource ({e.Message}): {this}");
        }

        return parsed as T ?? throw new AssertionException($"Expected a {typeof(T).Name}, got {parsed?.TypeName ?? "nothing"}: {this}");
    }

    public OperationOutcome Outcome => Resource<OperationOutcome>();

    /// <summary>Every issue's diagnostics, for assertions on the message.</summary>
    public string Diagnostics => string.Join(" | ", Outcome.Issue.Select(i => i.Diagnostics));

    public override string ToString() => $"{(int)Status} {Status} {MediaType}: {(Text.Length > 2000 ? Text[..2000] + "…" : Text)}";
}
