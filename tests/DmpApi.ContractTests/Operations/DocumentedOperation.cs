using System.Text.Json.Nodes;
using DmpApi.Tests.Contract;

namespace DmpApi.ContractTests.Operations;

/// <summary>The FHIR interaction a documented route is (FHIR R4 §3.1.0), from its method and path template.</summary>
internal enum Interaction { Capabilities, SmartConfiguration, Search, SearchByPost, Create, Read, VRead, History, Update, Patch, ConditionalPatch, Delete, BinaryRead, Transaction, Everything, Unknown }

/// <summary>One operation of the OpenAPI document (method × path) with its documented responses.</summary>
internal sealed record DocumentedOperation(string Method, string Path, IReadOnlyDictionary<string, IReadOnlyList<string>> Responses)
{
    public string Name => $"{Method} {Path}";

    /// <summary>The resource type: the segment after /fhir/.</summary>
    public string Type => Path.Split('/', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) ?? string.Empty;

    public Interaction Interaction => (Method, Path.Split('/', StringSplitOptions.RemoveEmptyEntries)) switch
    {
        ("GET", ["fhir", "metadata"]) => Interaction.Capabilities,
        ("GET", ["fhir", ".well-known", "smart-configuration"]) => Interaction.SmartConfiguration,
        ("POST", ["fhir"]) => Interaction.Transaction,
        ("GET", ["fhir", "Binary", "{id}"]) => Interaction.BinaryRead,
        ("GET", ["fhir", _]) => Interaction.Search,
        ("POST", ["fhir", _]) => Interaction.Create,
        ("POST", ["fhir", _, "_search"]) => Interaction.SearchByPost,
        ("GET", ["fhir", _, "{id}"]) => Interaction.Read,
        ("PUT", ["fhir", _, "{id}"]) => Interaction.Update,
        ("PATCH", ["fhir", _, "{id}"]) => Interaction.Patch,
        ("PATCH", ["fhir", _]) => Interaction.ConditionalPatch,
        ("DELETE", ["fhir", _, "{id}"]) => Interaction.Delete,
        ("GET", ["fhir", _, "{id}", "_history"]) => Interaction.History,
        ("GET", ["fhir", _, "{id}", "_history", "{vid}"]) => Interaction.VRead,
        ("GET", ["fhir", "Patient", "{id}", "$everything"]) => Interaction.Everything,
        _ => Interaction.Unknown,
    };

    /// <summary>Every /fhir operation of an OpenAPI document, with each response code's media types (none for an empty body).</summary>
    public static IReadOnlyList<DocumentedOperation> In(JsonNode document) =>
        OpenApiDrift.Operations(document)
            .Where(o => o.Path.StartsWith("/fhir", StringComparison.Ordinal))
            .Select(o => new DocumentedOperation(o.Method.ToUpperInvariant(), o.Path,
                o.Operation["responses"]!.AsObject().ToDictionary(
                    r => r.Key,
                    r => (IReadOnlyList<string>)(r.Value?["content"]?.AsObject().Select(c => c.Key).ToList() ?? []))))
            .ToList();

    /// <summary>The resource type a documented response body holds (its schema's name), e.g. Bundle or OperationOutcome.</summary>
    public static string? SchemaType(JsonNode document, DocumentedOperation operation, string status, string mediaType) =>
        document["paths"]?[operation.Path]?[operation.Method.ToLowerInvariant()]?["responses"]?[status]?["content"]?[mediaType]?["schema"]?["$ref"]
            ?.GetValue<string>().Split('/').Last();
}
