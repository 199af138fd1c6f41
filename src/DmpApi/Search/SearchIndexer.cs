using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using DmpApi.Fhir;
using DmpApi.Storage;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace DmpApi.Search;

/// <summary>The index rows of one resource version, from its search parameters' FHIRPath expressions.</summary>
public sealed record SearchIndexEntries(
    List<TokenIndexRow> Tokens,
    List<StringIndexRow> Strings,
    List<DateIndexRow> Dates,
    List<ReferenceIndexRow> References);

/// <summary>Evaluates every search parameter of a resource with the SDK's FHIRPath engine and turns the values into index rows.</summary>
public sealed class SearchIndexer(SearchParameterRegistry registry, ILogger<SearchIndexer> logger) : IResourceIndexer
{
    public const int MaxIndexedLength = 256;

    /// <summary>
    /// The compiler `Base.Select` uses (standard functions and the FHIR extensions), its expressions compiled once each:
    /// the SDK's own expression cache takes a lock on every evaluation, which writers on every core queued on.
    /// </summary>
    private static readonly FhirPathCompiler Compiler = new(new SymbolTable().AddStandardFP().AddFhirExtensions());

    private readonly ConcurrentDictionary<string, CompiledExpression> _compiled = new(StringComparer.Ordinal);

    public List<SearchIndexRow> IndexRows(Resource resource, string? patientId)
    {
        var index = Extract(resource, patientId);
        return index.Tokens.Cast<SearchIndexRow>().Concat(index.Strings).Concat(index.Dates).Concat(index.References).ToList();
    }

    public SearchIndexEntries Extract(Resource resource, string? patientId)
    {
        var type = resource.TypeName;
        var entries = new SearchIndexEntries([], [], [], []);
        foreach (var parameter in registry.For(type))
        {
            IEnumerable<Base> values;
            try
            {
                // As `resource.Select(expression)` evaluates it, with the expression compiled once.
                var compiled = _compiled.GetOrAdd(parameter.Expression, Compiler.Compile);
                // %resource is the resource indexed: PDSm's author chains find the contained resources its references name.
                var node = resource.ToPocoNode();
                values = compiled(node, new FhirEvaluationContext { Resource = node, RootResource = node }).ToFhirValues().OfType<Base>().ToList();
            }
            catch (Exception e)
            {
                // A definition the engine cannot evaluate must not block a write: the parameter simply finds nothing.
                logger.LogWarning(e, "Search parameter {ResourceType}.{Parameter} could not be evaluated", type, parameter.Name);
                continue;
            }

            foreach (var value in values)
            {
                Add(entries, parameter, type, patientId, value);
            }
        }

        return entries;
    }

    private static void Add(SearchIndexEntries entries, SearchParam parameter, string type, string? patientId, Base value)
    {
        switch (parameter.Kind)
        {
            case SearchParamKind.Token:
                foreach (var (system, code) in Tokens(value))
                {
                    entries.Tokens.Add(new TokenIndexRow { ResourceType = type, ParamName = parameter.Name, PatientId = patientId, System = Clip(system), Code = Clip(code) });
                }

                break;
            case SearchParamKind.Uri:
                if (value is PrimitiveType { JsonValue: { } uri })
                {
                    entries.Tokens.Add(new TokenIndexRow { ResourceType = type, ParamName = parameter.Name, PatientId = patientId, Code = Clip(Convert.ToString(uri, CultureInfo.InvariantCulture)) });
                }

                break;
            case SearchParamKind.String:
                foreach (var text in Strings(value))
                {
                    entries.Strings.Add(new StringIndexRow { ResourceType = type, ParamName = parameter.Name, PatientId = patientId, Normalized = Clip(Normalize(text))!, Exact = Clip(text)! });
                }

                break;
            case SearchParamKind.Date:
                if (DateRange(value) is { } range)
                {
                    entries.Dates.Add(new DateIndexRow { ResourceType = type, ParamName = parameter.Name, PatientId = patientId, Start = range.Start, End = range.End });
                }

                break;
            case SearchParamKind.Reference:
                if (value is ResourceReference { Reference: { } reference } && ParseReference(reference) is { } target)
                {
                    entries.References.Add(new ReferenceIndexRow { ResourceType = type, ParamName = parameter.Name, PatientId = patientId, TargetType = target.Type, TargetId = target.Id });
                }

                break;
        }
    }

    private static IEnumerable<(string? System, string? Code)> Tokens(Base value)
    {
        switch (value)
        {
            case Coding c:
                yield return (c.System, c.Code);
                break;
            case CodeableConcept cc:
                foreach (var c in cc.Coding) yield return (c.System, c.Code);
                break;
            case Identifier i:
                yield return (i.System, i.Value);
                break;
            case ContactPoint cp:
                yield return (cp.System?.ToString().ToLowerInvariant(), cp.Value);
                break;
            case FhirBoolean b when b.Value is { } flag:
                yield return (null, flag ? "true" : "false");
                break;
            case PrimitiveType { JsonValue: { } v }:
                yield return (null, Convert.ToString(v, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static IEnumerable<string> Strings(Base value)
    {
        switch (value)
        {
            case HumanName n:
                if (n.Family is { } family) yield return family;
                foreach (var part in n.Given.Concat(n.Prefix).Concat(n.Suffix).OfType<string>()) yield return part;
                if (n.Text is { } text) yield return text;
                break;
            case Address a:
                foreach (var l in a.Line.OfType<string>()) yield return l;
                foreach (var part in new[] { a.City, a.District, a.State, a.PostalCode, a.Country, a.Text }.OfType<string>())
                {
                    yield return part;
                }

                break;
            case PrimitiveType { JsonValue: { } v }:
                yield return Convert.ToString(v, CultureInfo.InvariantCulture) ?? string.Empty;
                break;
        }
    }

    private static FhirDateRange? DateRange(Base value)
    {
        switch (value)
        {
            case Period p:
                FhirDateRange.TryParse(p.Start, out var start);
                FhirDateRange.TryParse(p.End, out var end);
                if (p.Start is null && p.End is null) return null;
                return new FhirDateRange(p.Start is null ? DateTime.MinValue.Ticks : start.Start, p.End is null ? DateTime.MaxValue.Ticks : end.End);
            case PrimitiveType { JsonValue: { } v }:
                var text = v is DateTimeOffset dto ? dto.ToString("o", CultureInfo.InvariantCulture) : Convert.ToString(v, CultureInfo.InvariantCulture);
                return FhirDateRange.TryParse(text, out var range) ? range : null;
            default:
                return null;
        }
    }

    /// <summary>Type and id of a literal reference (<see cref="FhirReferences.Parse"/>).</summary>
    public static (string Type, string Id)? ParseReference(string reference) => FhirReferences.Parse(reference);

    /// <summary>FHIR string matching is case- and accent-insensitive: lower-case, strip combining marks.</summary>
    public static string Normalize(string text)
    {
        var decomposed = text.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }

        return builder.ToString();
    }

    private static string? Clip(string? value) => value is { Length: > MaxIndexedLength } ? value[..MaxIndexedLength] : value;
}
