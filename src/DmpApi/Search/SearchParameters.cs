using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace DmpApi.Search;

/// <summary>The kinds of search parameter this server indexes (FHIR R4 §3.1.1.4).</summary>
public enum SearchParamKind { Token, String, Date, Reference, Uri }

/// <summary>One search parameter of one resource type, with the FHIRPath expression that fills its index.</summary>
public sealed record SearchParam(string ResourceType, string Name, SearchParamKind Kind, string Expression, IReadOnlyList<string> Targets, string Description);

/// <summary>
/// The search parameters of each supported type: the R4 SearchParameter definitions the Hl7.Fhir SDK ships,
/// narrowed to the type's own branch of each shared expression, plus our own (PDSm isArchived, MHD author.given/family).
/// </summary>
public sealed partial class SearchParameterRegistry
{
    /// <summary>PDSm archive flag on DocumentReference (extension isArchived, boolean), as the ANS PDSm SearchParameter defines it.</summary>
    public const string IsArchivedExtension = DmpApi.Access.DmpCodes.IsArchivedExtension;

    private readonly Dictionary<string, Dictionary<string, SearchParam>> _byType = new(StringComparer.Ordinal);

    public SearchParameterRegistry(IEnumerable<string> resourceTypes)
    {
        foreach (var type in resourceTypes)
        {
            var parameters = new Dictionary<string, SearchParam>(StringComparer.Ordinal);
            foreach (var definition in ModelInfo.SearchParameters.Where(d => d.Resource == type && d.Expression is not null))
            {
                var kind = definition.Type switch
                {
                    SearchParamType.Token => SearchParamKind.Token,
                    SearchParamType.String => SearchParamKind.String,
                    SearchParamType.Date => SearchParamKind.Date,
                    SearchParamType.Reference => SearchParamKind.Reference,
                    SearchParamType.Uri => SearchParamKind.Uri,
                    _ => (SearchParamKind?)null, // number, quantity, composite, special: none of our types needs them
                };
                if (kind is null || definition.Name is null || definition.Name.StartsWith('_'))
                {
                    continue;
                }

                var expression = OwnBranch(type, definition.Expression!);
                if (expression is null)
                {
                    continue;
                }

                parameters[definition.Name] = new SearchParam(type, definition.Name, kind.Value, expression,
                    (definition.Target ?? []).Select(t => t.ToString()).ToArray(), definition.Description?.ToString() ?? definition.Name);
            }

            foreach (var custom in Custom(type))
            {
                parameters[custom.Name] = custom;
            }

            _byType[type] = parameters;
        }
    }

    public IReadOnlyCollection<SearchParam> For(string resourceType) =>
        _byType.TryGetValue(resourceType, out var p) ? p.Values : [];

    public SearchParam? Find(string resourceType, string name) =>
        _byType.TryGetValue(resourceType, out var p) && p.TryGetValue(name, out var sp) ? sp : null;

    private static IEnumerable<SearchParam> Custom(string type)
    {
        if (type == "DocumentReference")
        {
            yield return new SearchParam(type, "isArchived", SearchParamKind.Token,
                $"DocumentReference.extension('{IsArchivedExtension}').value", [], "PDSm: whether the document is archived (true/false)");
            // IHE MHD ITI-67: author.given / author.family over the author, contained or not.
            yield return new SearchParam(type, "author.given", SearchParamKind.String,
                "DocumentReference.contained.ofType(Practitioner).name.given | DocumentReference.contained.ofType(PractitionerRole).practitioner.display",
                [], "IHE MHD: given name of the document's author");
            yield return new SearchParam(type, "author.family", SearchParamKind.String,
                "DocumentReference.contained.ofType(Practitioner).name.family", [], "IHE MHD: family name of the document's author");
        }
    }

    /// <summary>
    /// Keeps the branches of a shared R4 expression that apply to this type, and turns `where(resolve() is X)`
    /// into a check on the reference text: the server has no resolver, and the target type is in the reference.
    /// </summary>
    private static string? OwnBranch(string type, string expression)
    {
        var branches = SplitUnion(expression)
            .Select(b => b.Trim())
            .Where(b => b.StartsWith(type + ".", StringComparison.Ordinal) || b.StartsWith("(" + type + ".", StringComparison.Ordinal))
            .Select(b => ResolveIs().Replace(b, m => $".where(reference.startsWith('{m.Groups[1].Value}/') or reference.contains('/{m.Groups[1].Value}/'))"))
            .ToList();
        return branches.Count == 0 ? null : string.Join(" | ", branches);
    }

    private static IEnumerable<string> SplitUnion(string expression)
    {
        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (c == '\'') quoted = !quoted;
            else if (!quoted && c == '(') depth++;
            else if (!quoted && c == ')') depth--;
            else if (!quoted && depth == 0 && c == '|')
            {
                yield return expression[start..i];
                start = i + 1;
            }
        }

        yield return expression[start..];
    }

    [GeneratedRegex(@"\.where\(resolve\(\) is (\w+)\)")]
    private static partial Regex ResolveIs();
}
