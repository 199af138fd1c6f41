using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace DmpApi.Access;

/// <summary>One row of the matrix: what a profession (TRE_G15 code) reads (arrêté du 26 octobre 2023, DMP-RULES §2 rule 5).</summary>
public sealed record Habilitation(string Profession, string? Name, DocumentTypeFilter Reads);

/// <summary>
/// The matrice d'habilitations (DMP-RULES §2 rule 5) as data: profession × document type, loaded from a JSON file the
/// operator can replace (Access:HabilitationsFile). Default deny: an unknown profession reads nothing, and a document
/// whose type is in no system of the matrix is read by no professional. Allergies are not filtered by it.
/// </summary>
public sealed partial class HabilitationMatrix
{
    private static readonly JsonSerializerOptions FileFormat = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        // A misspelt key ("allExept") must fail at start, not silently widen or narrow a row.
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private readonly IReadOnlyDictionary<string, Habilitation> rows;

    private HabilitationMatrix(IReadOnlyDictionary<string, Habilitation> rows, IReadOnlySet<string> typeSystems)
    {
        this.rows = rows;
        TypeSystems = typeSystems;
    }

    /// <summary>The systems document types are qualified by (LOINC, TRE_A05): a type in none of them is unknown.</summary>
    public IReadOnlySet<string> TypeSystems { get; }

    public IReadOnlyCollection<Habilitation> Rows => rows.Values.ToList();

    /// <summary>The row of a profession, or null when the matrix does not know it (then it reads nothing).</summary>
    public Habilitation? For(string? profession) => profession is not null && rows.TryGetValue(profession, out var row) ? row : null;

    /// <summary>The document types a profession reads; none for an unknown profession (default deny).</summary>
    public DocumentTypeFilter ReadableTypes(string? profession) => For(profession)?.Reads ?? DocumentTypeFilter.None;

    public bool CanRead(string? profession, IEnumerable<QualifiedCode> documentTypes) => ReadableTypes(profession).Permits(documentTypes);

    /// <summary>Loads and validates a matrix file; <see cref="InvalidDataException"/> lists every problem found.</summary>
    public static HabilitationMatrix Load(string path) =>
        TryLoad(path, out var matrix, out var problems)
            ? matrix
            : throw new InvalidDataException($"The habilitation matrix {path} is not valid: {string.Join(" ", problems)}");

    public static bool TryLoad(string path, [NotNullWhen(true)] out HabilitationMatrix? matrix, out IReadOnlyList<string> problems)
    {
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            matrix = null;
            problems = [$"The file cannot be read: {e.Message}"];
            return false;
        }

        return TryParse(json, out matrix, out problems);
    }

    /// <summary>Parses the file format (see Access/habilitations.json); false with every problem found, never a partial matrix.</summary>
    public static bool TryParse(string json, [NotNullWhen(true)] out HabilitationMatrix? matrix, out IReadOnlyList<string> problems)
    {
        matrix = null;
        HabilitationFile? file;
        try
        {
            file = JsonSerializer.Deserialize<HabilitationFile>(json, FileFormat);
        }
        catch (JsonException e)
        {
            problems = [$"It is not a valid matrix file: {e.Message}"];
            return false;
        }

        var found = new List<string>();
        problems = found;
        if (file is null)
        {
            found.Add("It is empty (null).");
            return false;
        }

        var systems = ReadSystems(file.Systems, found);
        var rows = new Dictionary<string, (HabilitationRow Row, int Index)>(StringComparer.Ordinal);
        if (file.Professions is not { Count: > 0 })
        {
            found.Add("'professions' must list at least one profession.");
        }

        for (var i = 0; i < (file.Professions?.Count ?? 0); i++)
        {
            var row = file.Professions![i];
            var at = $"professions[{i}]";
            if (row?.Code is not { } code || !ProfessionCode().IsMatch(code))
            {
                found.Add($"{at}.code '{row?.Code}' is not a TRE_G15 profession code (two digits).");
                continue;
            }

            if (!rows.TryAdd(code, (row, i)))
            {
                found.Add($"{at}: profession {code} is listed twice.");
            }

            if ((row.Reads is null) == (row.ReadsLike is null))
            {
                found.Add($"{at} (profession {code}) must have exactly one of 'reads' and 'readsLike'.");
            }
            else if (row.Reads is { } reads && (reads.AllExcept is null) == (reads.Only is null))
            {
                found.Add($"{at}.reads (profession {code}) must have exactly one of 'allExcept' and 'only'.");
            }
        }

        var habilitations = new Dictionary<string, Habilitation>(StringComparer.Ordinal);
        foreach (var (code, (row, index)) in rows)
        {
            var at = $"professions[{index}]";
            if (row.Reads is { } reads)
            {
                var (scope, list, listName) = reads.AllExcept is { } allExcept
                    ? (DocumentTypeScope.AllExcept, allExcept, "allExcept")
                    : (DocumentTypeScope.Only, reads.Only ?? [], "only");
                var types = ReadTypes(list, systems, $"{at}.reads.{listName}", found);
                habilitations[code] = new Habilitation(code, row.Name, new DocumentTypeFilter(scope, types, systems.Values.ToHashSet(StringComparer.Ordinal)));
            }
        }

        foreach (var (code, (row, index)) in rows)
        {
            if (row.ReadsLike is not { } like)
            {
                continue;
            }

            // One level only: a row borrowed from a row that borrows would hide which official row is meant.
            if (rows.TryGetValue(like, out var target) && target.Row.Reads is not null && habilitations.TryGetValue(like, out var source))
            {
                habilitations[code] = source with { Profession = code, Name = row.Name };
            }
            else
            {
                found.Add($"professions[{index}].readsLike '{like}' (profession {code}) must name a profession of the file that has its own 'reads'.");
            }
        }

        if (found.Count > 0)
        {
            return false;
        }

        matrix = new HabilitationMatrix(habilitations, systems.Values.ToHashSet(StringComparer.Ordinal));
        return true;
    }

    private static Dictionary<string, string> ReadSystems(Dictionary<string, string>? declared, List<string> found)
    {
        var systems = new Dictionary<string, string>(StringComparer.Ordinal);
        if (declared is not { Count: > 0 })
        {
            found.Add("'systems' must declare at least one document type system, e.g. \"LOINC\": \"http://loinc.org\".");
            return systems;
        }

        foreach (var (alias, uri) in declared)
        {
            if (!SystemAlias().IsMatch(alias))
            {
                found.Add($"systems: the alias '{alias}' must be letters, digits, '_' or '-'.");
            }
            else if (!Uri.TryCreate(uri, UriKind.Absolute, out _))
            {
                found.Add($"systems.{alias}: '{uri}' is not an absolute URI.");
            }
            else
            {
                systems[alias] = uri;
            }
        }

        return systems;
    }

    /// <summary>Each entry is ALIAS|code; a LOINC code must carry its right check digit, so a typo cannot slip into the matrix.</summary>
    private static HashSet<QualifiedCode> ReadTypes(List<string?> entries, Dictionary<string, string> systems, string at, List<string> found)
    {
        var types = new HashSet<QualifiedCode>();
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var separator = entry?.IndexOf('|') ?? -1;
            if (entry is null || separator <= 0)
            {
                found.Add($"{at}[{i}] '{entry}' must be written SYSTEM|code, SYSTEM being an alias declared under 'systems'.");
                continue;
            }

            var alias = entry[..separator];
            var code = entry[(separator + 1)..];
            if (!systems.TryGetValue(alias, out var system))
            {
                found.Add($"{at}[{i}] '{entry}': the system alias '{alias}' is not declared under 'systems'.");
            }
            else if (system == DmpCodes.LoincSystem && !IsLoincCode(code, out var problem))
            {
                found.Add($"{at}[{i}] '{entry}': {problem}");
            }
            else if (system != DmpCodes.LoincSystem && !TerminologyCode().IsMatch(code))
            {
                found.Add($"{at}[{i}] '{entry}': '{code}' is not a well-formed code (letters, digits, '.', '_', '-').");
            }
            else if (!types.Add(new QualifiedCode(system, code)))
            {
                found.Add($"{at}[{i}] '{entry}' is listed twice.");
            }
        }

        return types;
    }

    /// <summary>LOINC codes are 1–7 digits, a dash and a mod 10 check digit (LOINC Users' Guide, appendix on check digits).</summary>
    internal static bool IsLoincCode(string code, [NotNullWhen(false)] out string? problem)
    {
        problem = null;
        var m = LoincCode().Match(code);
        if (!m.Success)
        {
            problem = $"'{code}' is not a LOINC code (digits, a dash and a check digit, e.g. 34112-3).";
            return false;
        }

        var digits = m.Groups["n"].Value;
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 0)
            {
                d *= 2;
                d = d / 10 + d % 10;
            }

            sum += d;
        }

        var check = (10 - sum % 10) % 10;
        if (m.Groups["c"].Value[0] - '0' != check)
        {
            problem = $"the LOINC check digit of '{code}' should be {check}.";
            return false;
        }

        return true;
    }

    [GeneratedRegex(@"^[0-9]{2}$")]
    private static partial Regex ProfessionCode();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_\-]*$")]
    private static partial Regex SystemAlias();

    [GeneratedRegex(@"^(?<n>[0-9]{1,7})-(?<c>[0-9])$")]
    private static partial Regex LoincCode();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._\-]*$")]
    private static partial Regex TerminologyCode();

    /// <summary>The file format: aliases of the type systems, then one row per profession.</summary>
    private sealed class HabilitationFile
    {
        public string? Description { get; set; }
        public Dictionary<string, string>? Systems { get; set; }
        public List<HabilitationRow?>? Professions { get; set; }
    }

    private sealed class HabilitationRow
    {
        public string? Code { get; set; }
        public string? Name { get; set; }
        public ReadsRow? Reads { get; set; }
        /// <summary>A profession without its own official row reads like this one (DMP-RULES §2 rule 5: the pharmacien row).</summary>
        public string? ReadsLike { get; set; }
    }

    private sealed class ReadsRow
    {
        public List<string?>? AllExcept { get; set; }
        public List<string?>? Only { get; set; }
    }
}
