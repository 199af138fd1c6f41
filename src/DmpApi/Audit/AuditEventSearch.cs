using System.Globalization;
using DmpApi.Fhir;
using DmpApi.Patients;
using DmpApi.Search;
using Hl7.Fhir.Model;

namespace DmpApi.Audit;

/// <summary>A parsed AuditEvent search (patient, date, agent, outcome, _sort, _count, _total), applied as SQL predicates.</summary>
internal sealed class AuditEventSearch
{
    private const string OutcomeSystem = "http://hl7.org/fhir/audit-event-outcome";
    private static readonly HashSet<string> Silent = ["_format", "_pretty", "_page"];

    private readonly List<(string Prefix, FhirDateRange Range)> _dates = [];
    private readonly List<string> _idNatPs = [];
    private readonly List<string> _ins = [];
    private readonly List<int> _outcomes = [];

    public string PatientId { get; private set; } = string.Empty;
    public int Count { get; private set; }
    public bool NewestFirst { get; private set; } = true;
    public bool TotalAccurate { get; private set; }
    public List<string> Ignored { get; } = [];

    /// <summary>The parameters understood, in a stable order: the query of self links and page tokens.</summary>
    public List<KeyValuePair<string, string>> Canonical { get; } = [];

    public static AuditEventSearch Parse(IEnumerable<KeyValuePair<string, string>> parameters, SearchOptions options, bool strict)
    {
        var search = new AuditEventSearch { Count = options.DefaultCount };
        string? patient = null;
        foreach (var (name, value) in parameters)
        {
            switch (name)
            {
                case "patient":
                    patient = patient is null ? PatientReferences.IdOf(value) : throw FhirException.BadRequest("patient may be given once: traces are searched one record at a time.");
                    break;
                case "date":
                    search._dates.Add(Date(value));
                    break;
                case "agent":
                    search.Agents(value);
                    break;
                case "outcome":
                    search.Outcomes(value);
                    break;
                case "_sort":
                    search.NewestFirst = value switch
                    {
                        "-date" or "-_lastUpdated" => true,
                        "date" or "_lastUpdated" => false,
                        _ => throw FhirException.BadRequest($"_sort '{value}' is not supported on AuditEvent; use -date (newest first, the default) or date.", OperationOutcome.IssueType.NotSupported),
                    };
                    break;
                case "_count":
                    search.Count = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
                        ? Math.Min(count, options.MaxCount)
                        : throw FhirException.BadRequest($"_count must be a whole number from 0 to {options.MaxCount}; got '{value}'.");
                    break;
                case "_total":
                    search.TotalAccurate = value switch
                    {
                        "accurate" => true,
                        "none" or "estimate" => false,
                        _ => throw FhirException.BadRequest($"_total must be none, estimate or accurate; got '{value}'."),
                    };
                    break;
                default:
                    if (!Silent.Contains(name))
                    {
                        if (strict)
                        {
                            throw FhirException.BadRequest($"Unknown or unsupported search parameter '{name}' on AuditEvent (Prefer: handling=strict).", OperationOutcome.IssueType.NotSupported);
                        }

                        search.Ignored.Add(name);
                    }

                    continue;
            }

            search.Canonical.Add(new(name, value));
        }

        search.PatientId = patient
            ?? throw FhirException.BadRequest("AuditEvent search needs patient=Patient/{id}: traces are read one record at a time.", OperationOutcome.IssueType.Required);
        return search;
    }

    public IQueryable<AuditRecord> Apply(IQueryable<AuditRecord> query)
    {
        foreach (var (prefix, range) in _dates)
        {
            var start = new DateTime(range.Start, DateTimeKind.Utc);
            var end = new DateTime(range.End, DateTimeKind.Utc);
            query = prefix switch
            {
                "gt" or "sa" => query.Where(r => r.RecordedAt > end),
                "lt" or "eb" => query.Where(r => r.RecordedAt < start),
                "ge" => query.Where(r => r.RecordedAt >= start),
                "le" => query.Where(r => r.RecordedAt <= end),
                "ne" => query.Where(r => r.RecordedAt < start || r.RecordedAt > end),
                _ => query.Where(r => r.RecordedAt >= start && r.RecordedAt <= end),
            };
        }

        if (_idNatPs.Count > 0 || _ins.Count > 0)
        {
            var idNatPs = _idNatPs;
            var ins = _ins;
            query = query.Where(r => (r.IdNatPs != null && idNatPs.Contains(r.IdNatPs)) || (r.Ins != null && ins.Contains(r.Ins)));
        }

        if (_outcomes.Count > 0)
        {
            var outcomes = _outcomes;
            query = query.Where(r => outcomes.Contains(r.Outcome));
        }

        return query;
    }

    /// <summary>Newest first by default (DMP-RULES §4); the key breaks ties between records of the same instant.</summary>
    public IQueryable<AuditRecord> Order(IQueryable<AuditRecord> query) => NewestFirst
        ? query.OrderByDescending(r => r.RecordedAt).ThenByDescending(r => r.Id)
        : query.OrderBy(r => r.RecordedAt).ThenBy(r => r.Id);


    private static (string Prefix, FhirDateRange Range) Date(string value)
    {
        var prefix = value.Length > 2 && char.IsAsciiLetterLower(value[0]) && char.IsAsciiLetterLower(value[1]) ? value[..2] : "eq";
        var text = prefix == "eq" && !value.StartsWith("eq", StringComparison.Ordinal) ? value : value[2..];
        if (prefix is not ("eq" or "ne" or "gt" or "lt" or "ge" or "le" or "sa" or "eb"))
        {
            throw FhirException.BadRequest($"date prefix '{prefix}' is not one of eq, ne, gt, lt, ge, le, sa, eb.");
        }

        return FhirDateRange.TryParse(text, out var range)
            ? (prefix, range)
            : throw FhirException.BadRequest($"date '{value}' is not a FHIR date or dateTime (e.g. ge2026-01-01 or lt2026-01-01T10:00:00Z).");
    }

    private void Agents(string value)
    {
        foreach (var token in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var bar = token.IndexOf('|');
            var system = bar < 0 ? null : token[..bar];
            var code = bar < 0 ? token : token[(bar + 1)..];
            switch (system)
            {
                case null or "" or AuditEventMapping.IdNatPsSystem:
                    _idNatPs.Add(code);
                    break;
                case var s when Ins.Systems.Contains(s):
                    _ins.Add(Ins.Normalize(code));
                    break;
                default:
                    throw FhirException.BadRequest($"agent takes an idNatPs ({AuditEventMapping.IdNatPsSystem}|…) or an INS ({Ins.NirSystem}|…); got system '{system}'.");
            }
        }
    }

    private void Outcomes(string value)
    {
        foreach (var token in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var bar = token.IndexOf('|');
            var system = bar < 0 ? null : token[..bar];
            var code = bar < 0 ? token : token[(bar + 1)..];
            if (system is not (null or "" or OutcomeSystem) || code is not ("0" or "4" or "8" or "12"))
            {
                throw FhirException.BadRequest($"outcome takes 0, 4, 8 or 12 ({OutcomeSystem}); got '{token}'.");
            }

            _outcomes.Add(int.Parse(code, CultureInfo.InvariantCulture));
        }
    }
}
