using System.Globalization;
using DmpApi.Fhir;
using Hl7.Fhir.Model;

namespace DmpApi.Search;

/// <summary>One search criterion: a parameter (maybe chained), its modifier, and its comma-separated values (OR).</summary>
public sealed record SearchCriterion(string Name, SearchParam? Param, string? Modifier, IReadOnlyList<string> Values, SearchCriterion? Chain);

public sealed record SortKey(string Name, bool Descending);

public sealed record IncludeSpec(string SourceType, string ParamName, string? TargetType);

/// <summary>A parsed FHIR search (FHIR R4 §3.1.1): criteria (AND of ORs) and result controls.</summary>
public sealed class SearchRequest
{
    private static readonly HashSet<string> ResultParameters = ["_count", "_sort", "_include", "_total", "_summary", "_format", "_page", "_pretty", "_elements"];

    public required string ResourceType { get; init; }
    public List<SearchCriterion> Criteria { get; } = [];
    public List<SortKey> Sort { get; } = [];
    public List<IncludeSpec> Includes { get; } = [];
    public int Count { get; set; }
    public bool TotalAccurate { get; set; }
    public bool SummaryCount { get; set; }
    /// <summary>Parameters that were ignored (lenient handling); reported in the Bundle's OperationOutcome.</summary>
    public List<string> Ignored { get; } = [];
    /// <summary>The parameters that were used, in a stable form: the self link and the page tokens carry it.</summary>
    public List<KeyValuePair<string, string>> Canonical { get; } = [];

    /// <summary>True when a criterion pins the search to one patient's record (DESIGN §4).</summary>
    public bool NamesPatient() => Criteria.Any(c => c.Modifier != "missing" && c.Modifier != "not" && (ResourceType == "Patient"
        ? c.Name is "_id" or "identifier"
        : c.Param?.Name is "patient" or "subject" && (c.Chain is null || c.Chain.Name is "identifier" or "_id")));

    public static SearchRequest Parse(string type, IEnumerable<KeyValuePair<string, string>> parameters, SearchParameterRegistry registry, SearchOptions options, bool strict)
    {
        var request = new SearchRequest { ResourceType = type, Count = options.DefaultCount };
        foreach (var (rawName, value) in parameters)
        {
            if (FhirText.HasControlCharacter(rawName) || FhirText.HasControlCharacter(value))
            {
                throw FhirException.BadRequest($"Search parameter '{FhirText.Printable(rawName)}' holds a control character, which FHIR strings cannot contain.");
            }

            var (name, modifier) = SplitModifier(rawName);
            switch (name)
            {
                case "_format" or "_page" or "_pretty":
                    continue;
                case "_count":
                    request.Count = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count >= 0
                        ? Math.Min(count, options.MaxCount)
                        : throw FhirException.BadRequest($"_count must be a whole number from 0 to {options.MaxCount}; got '{value}'.");
                    break;
                case "_sort":
                    foreach (var key in value.Split(',', StringSplitOptions.RemoveEmptyEntries))
                    {
                        var sortName = key.TrimStart('-');
                        if (sortName is not ("_lastUpdated" or "_id") && registry.Find(type, sortName) is not { Kind: SearchParamKind.Date })
                        {
                            throw FhirException.BadRequest($"_sort by '{sortName}' is not supported on {type}; use a date parameter, _lastUpdated or _id.", OperationOutcome.IssueType.NotSupported);
                        }

                        request.Sort.Add(new SortKey(sortName, key.StartsWith('-')));
                    }

                    break;
                case "_include":
                    request.Includes.Add(ParseInclude(type, value, registry));
                    break;
                case "_total":
                    request.TotalAccurate = value switch
                    {
                        "accurate" => true,
                        "none" or "estimate" => false,
                        _ => throw FhirException.BadRequest($"_total must be none, estimate or accurate; got '{value}'."),
                    };
                    break;
                case "_summary":
                    if (value == "count")
                    {
                        request.SummaryCount = true;
                    }
                    else if (value != "false")
                    {
                        Ignore(request, strict, rawName, $"_summary={value} is not supported; only _summary=count.");
                        continue;
                    }

                    break;
                case "_elements":
                    Ignore(request, strict, rawName, "_elements is not supported.");
                    continue;
                default:
                    var criterion = ParseCriterion(type, name, modifier, value, registry);
                    if (criterion is null)
                    {
                        Ignore(request, strict, rawName, $"Unknown search parameter '{rawName}' for {type}.");
                        continue;
                    }

                    request.Criteria.Add(criterion);
                    if (request.Criteria.Sum(c => c.Values.Count) > options.MaxCriteria)
                    {
                        // Each value becomes a predicate; past a few hundred the database refuses the query or takes minutes.
                        throw FhirException.BadRequest($"The search holds more than {options.MaxCriteria} criterion values (Search:MaxCriteria); split it.", OperationOutcome.IssueType.TooCostly);
                    }

                    break;
            }

            request.Canonical.Add(new(rawName, value));
        }

        return request;
    }

    private static void Ignore(SearchRequest request, bool strict, string name, string diagnostics)
    {
        if (strict)
        {
            throw FhirException.BadRequest(diagnostics + " (Prefer: handling=strict)", OperationOutcome.IssueType.NotSupported);
        }

        request.Ignored.Add(name);
    }

    private static SearchCriterion? ParseCriterion(string type, string name, string? modifier, string value, SearchParameterRegistry registry)
    {
        var values = SplitValues(value);
        if (name is "_id" or "_lastUpdated")
        {
            ValidateModifier(name, modifier, name == "_id" ? SearchParamKind.Token : SearchParamKind.Date);
            return new SearchCriterion(name, null, modifier, values, null);
        }

        if (registry.Find(type, name) is { } direct)
        {
            ValidateModifier(name, modifier, direct.Kind);
            return new SearchCriterion(name, direct, modifier, values, null);
        }

        // Chained parameter (FHIR R4 §3.1.1.4.13), one level: patient.identifier=system|value.
        var dot = name.IndexOf('.');
        if (dot > 0 && registry.Find(type, name[..dot]) is { Kind: SearchParamKind.Reference } reference)
        {
            var targetType = modifier ?? (reference.Targets.Count == 1 ? reference.Targets[0] : reference.Targets.Contains("Patient") ? "Patient" : null);
            if (targetType is null || !reference.Targets.Contains(targetType))
            {
                throw FhirException.BadRequest($"Chained parameter '{name}' needs a target type, e.g. {name[..dot]}:Patient.{name[(dot + 1)..]}.");
            }

            var chained = ParseCriterion(targetType, name[(dot + 1)..], null, value, registry)
                ?? throw FhirException.BadRequest($"'{name[(dot + 1)..]}' is not a search parameter of {targetType} (in '{name}').");
            return new SearchCriterion(name, reference, targetType, values, chained);
        }

        return null;
    }

    private static void ValidateModifier(string name, string? modifier, SearchParamKind kind)
    {
        if (modifier is null || modifier == "missing")
        {
            return;
        }

        var allowed = kind switch
        {
            SearchParamKind.Token => modifier is "not",
            SearchParamKind.String => modifier is "exact" or "contains",
            SearchParamKind.Reference => ModelInfo.IsKnownResource(modifier),
            SearchParamKind.Uri => modifier is "below" or "above" ? false : false,
            _ => false,
        };
        if (!allowed)
        {
            throw FhirException.BadRequest($"Modifier ':{modifier}' is not supported on '{name}'.", OperationOutcome.IssueType.NotSupported);
        }
    }

    private static IncludeSpec ParseInclude(string type, string value, SearchParameterRegistry registry)
    {
        var parts = value.Split(':');
        if (parts.Length is < 2 or > 3 || parts[0] != type || registry.Find(type, parts[1]) is not { Kind: SearchParamKind.Reference })
        {
            throw FhirException.BadRequest($"_include '{value}' is not supported; use {type}:<reference parameter>[:<type>], e.g. {type}:patient.", OperationOutcome.IssueType.NotSupported);
        }

        return new IncludeSpec(parts[0], parts[1], parts.Length == 3 ? parts[2] : null);
    }

    private static (string Name, string? Modifier) SplitModifier(string raw)
    {
        var colon = raw.IndexOf(':');
        return colon < 0 ? (raw, null) : (raw[..colon], raw[(colon + 1)..]);
    }

    /// <summary>Comma separates OR values; `\,` is a literal comma (FHIR R4 §3.1.1.5.7).</summary>
    private static List<string> SplitValues(string value)
    {
        var values = new List<string>();
        var current = new System.Text.StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '\\' && i + 1 < value.Length && value[i + 1] is ',' or '|' or '$' or '\\')
            {
                current.Append(value[++i]);
            }
            else if (value[i] == ',')
            {
                values.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(value[i]);
            }
        }

        values.Add(current.ToString());
        return values;
    }
}
