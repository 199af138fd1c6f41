using System.Text;
using System.Text.Json.Nodes;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Validation;

namespace DmpApi.ContractTests;

/// <summary>Reads what the server sends as integrating software must: the SDK's parser in strict mode, then its validation.</summary>
internal static class FhirBodies
{
    public const string Json = "application/fhir+json";
    public const string Xml = "application/fhir+xml";

    private static readonly FhirJsonDeserializer JsonParser = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
    private static readonly FhirXmlDeserializer XmlParser = new(new DeserializerSettings().UsingMode(DeserializationMode.Strict));
    private static readonly FhirJsonSerializer JsonWriter = new();
    private static readonly FhirXmlSerializer XmlWriter = new();

    /// <summary>Parses strictly (unknown elements, bad values and cardinality are errors) and fails with every validation issue.</summary>
    public static Resource ParseValid(string text, string mediaType, string what)
    {
        Resource resource;
        try
        {
            resource = mediaType == Xml ? XmlParser.DeserializeResource(text) : JsonParser.DeserializeResource(text);
        }
        catch (DeserializationFailedException e)
        {
            Assert.Fail($"{what}: not strict FHIR R4 {mediaType}:{Environment.NewLine}{string.Join(Environment.NewLine, e.Exceptions.Select(x => "  " + x.Message))}");
            throw;
        }

        var problems = resource.Validate(ModelInfo.ModelInspector, NarrativeValidationKind.FhirXhtml, null, true).ToList();
        Assert.That(problems, Is.Empty, () => $"{what}: SDK validation failed:{Environment.NewLine}{string.Join(Environment.NewLine, problems.Select(p => "  " + p))}");
        return resource;
    }

    /// <summary>The same resource in FHIR XML, or null when the JSON is not a valid resource (a body made to be refused).</summary>
    public static string? TryToXml(string json)
    {
        try
        {
            return XmlWriter.SerializeToString(JsonParser.DeserializeResource(json));
        }
        catch (DeserializationFailedException)
        {
            return null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return null; // not even a JSON object
        }
    }

    public static JsonObject ToJson(Resource resource) => JsonNode.Parse(JsonWriter.SerializeToString(resource))!.AsObject();

    public static StringContent Body(string text, string mediaType) => new(text, Encoding.UTF8, mediaType);
}
