using System.Linq.Expressions;
using System.Text.Json;
using DmpApi.Auth;
using DmpApi.Storage;
using Hl7.Fhir.Model;

namespace DmpApi.Access;

/// <summary>Who reads and who records one type of health profile entry (a row of Access/health-profile.json).</summary>
public sealed record HealthProfileEntry(string Type, string Name, IReadOnlySet<string> ReadBy, IReadOnlySet<string> RecordedBy);

/// <summary>
/// The patient's health profile (issue 15): antécédents, current treatments, vaccinations and measurements, as structured
/// entries. The rules are data (Access/health-profile.json, like the habilitation matrix): which professions read which
/// types, which record them. Changing or deleting an entry is its recorder's (taken from the token) and, for the
/// entries they recorded themselves, the patient's; the patient hides any entry from professionals with MASQUE_PS in
/// <c>meta.security</c>, which shows it only to them, the médecins traitants and its recorder (as DMP-RULES §2 rule 6).
/// </summary>
public sealed class HealthProfile
{
    /// <summary>The <c>recordedBy</c> value that lets an accepted system (the Assurance Maladie feed) record a type.</summary>
    public const string SystemRecorder = "system";

    private readonly Dictionary<string, HealthProfileEntry> _entries;

    private HealthProfile(IEnumerable<HealthProfileEntry> entries) => _entries = entries.ToDictionary(e => e.Type, StringComparer.Ordinal);

    /// <summary>The table shipped in the assembly (Access/health-profile.json).</summary>
    public static HealthProfile Default { get; } = Parse(ReadEmbedded());

    public IReadOnlyCollection<HealthProfileEntry> Entries => _entries.Values;

    public bool IsEntry(string type) => _entries.ContainsKey(type);

    /// <summary>The entry types a profession reads (nothing for an unknown one: default deny).</summary>
    public IReadOnlyList<string> ReadableBy(string? profession) =>
        [.. _entries.Values.Where(e => profession is not null && e.ReadBy.Contains(profession)).Select(e => e.Type)];

    /// <summary>Whether a resource carries MASQUE_PS in meta.security: the patient hid it from professionals.</summary>
    public static bool IsHidden(Resource resource) =>
        resource.Meta?.Security.Any(c => c.System == DmpCodes.Masked.System && c.Code == DmpCodes.Masked.Code) == true;

    /// <summary>
    /// The rows of a record's entries of one type a requester sees (DESIGN §2: a SQL predicate, before paging and
    /// counting), given the allowed decision on the record: the patient all; a professional those of a type their
    /// profession reads, unless hidden (the médecins traitants see hidden ones), and always what they recorded themselves
    /// (as CSP R1111-49 for documents). The type is known when the query is built, so the table is read here, not in SQL.
    /// </summary>
    public Expression<Func<ResourceRow, bool>> Visible(Requester requester, AccessDecision decision, string type)
    {
        ArgumentNullException.ThrowIfNull(requester);
        ArgumentNullException.ThrowIfNull(decision);
        if (!decision.IsAllowed)
        {
            return _ => false;
        }

        if (requester.Kind == RequesterKind.Patient)
        {
            return _ => true;
        }

        if (requester.Kind != RequesterKind.Professional || requester.IdNatPs is not { Length: > 0 } recorder)
        {
            return _ => false;
        }

        if (!ReadableBy(requester.Profession).Contains(type))
        {
            return r => r.DepositorIdNatPs == recorder;
        }

        return decision.IsTreatingDoctor ? _ => true : r => !r.IsMasked || r.DepositorIdNatPs == recorder;
    }

    /// <summary>
    /// A write of an entry (DMP-RULES §3 as for allergies): null when allowed, else the refusal's message (403).
    /// </summary>
    /// <param name="depositor">The stored entry's recorder (row column), null when the patient recorded it; ignored for a creation.</param>
    /// <param name="stored">The current version, null for a creation.</param>
    /// <param name="proposed">The new version, null for a delete.</param>
    public string? Write(Requester requester, string type, string? requesterDepositor, string? depositor, Resource? stored, Resource? proposed)
    {
        ArgumentNullException.ThrowIfNull(requester);
        var entry = _entries[type];
        var isPatient = requester.Kind == RequesterKind.Patient;
        if (stored is null)
        {
            if (proposed is not null && !isPatient && IsHidden(proposed))
            {
                return HiddenByThePatientOnly;
            }

            var recordsAs = requester.Kind == RequesterKind.System ? SystemRecorder : requester.Profession;
            return isPatient || (recordsAs is not null && entry.RecordedBy.Contains(recordsAs))
                ? null
                : $"{(requester.Kind == RequesterKind.System ? "This system" : $"Profession {requester.Profession}")} does not record {type} ({entry.Name}) in the DMP health profile "
                    + "(Access/health-profile.json); ask the patient or a professional who does.";
        }

        if (!isPatient)
        {
            if (depositor is null || depositor != requesterDepositor)
            {
                return $"Only the recorder of this {type}, or the patient for an entry they recorded, may change or delete it; record a new {type} instead.";
            }

            return proposed is not null && IsHidden(stored) != IsHidden(proposed) ? HiddenByThePatientOnly : null;
        }

        if (depositor is null)
        {
            return null;
        }

        // The patient hides or shows what a professional recorded (as CSP L1111-15 for documents), and changes nothing else of it.
        if (proposed is null)
        {
            return $"This {type} was recorded by a professional: only they may delete it. You may hide it from professionals (MASQUE_PS in meta.security).";
        }

        return WithoutMeta(stored).IsExactly(WithoutMeta(proposed))
            ? null
            : $"This {type} was recorded by a professional: you may hide or show it (MASQUE_PS in meta.security), not change its content.";
    }

    private const string HiddenByThePatientOnly = "Only the patient hides an entry of their health profile from professionals (MASQUE_PS in meta.security).";

    private static Resource WithoutMeta(Resource resource)
    {
        var copy = (Resource)resource.DeepCopy();
        copy.Meta = null;
        return copy;
    }

    private static string ReadEmbedded()
    {
        using var stream = typeof(HealthProfile).Assembly.GetManifestResourceStream("DmpApi.Access.health-profile.json")
            ?? throw new InvalidOperationException("The health profile table (Access/health-profile.json) is not embedded in the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Parses the table; <see cref="InvalidDataException"/> naming every problem (unknown type, profession or system).</summary>
    public static HealthProfile Parse(string json)
    {
        var problems = new List<string>();
        var entries = new List<HealthProfileEntry>();
        using var document = JsonDocument.Parse(json);
        foreach (var property in document.RootElement.GetProperty("entries").EnumerateObject())
        {
            if (Hl7.Fhir.Model.ModelInfo.GetTypeForFhirType(property.Name) is not { } clr || !typeof(DomainResource).IsAssignableFrom(clr))
            {
                problems.Add($"entries.{property.Name}: not a FHIR resource type.");
                continue;
            }

            HashSet<string> Codes(string name, bool systemAllowed)
            {
                var codes = property.Value.TryGetProperty(name, out var list) ? list.EnumerateArray().Select(c => c.GetString() ?? string.Empty).ToHashSet(StringComparer.Ordinal) : [];
                foreach (var code in codes.Where(c => !Requester.KnownProfessions.Contains(c) && !(systemAllowed && c == SystemRecorder)))
                {
                    problems.Add($"entries.{property.Name}.{name}: '{code}' is not a known TRE_G15 profession{(systemAllowed ? " nor 'system'" : string.Empty)}.");
                }

                return codes;
            }

            var name = property.Value.TryGetProperty("name", out var n) ? n.GetString() ?? property.Name : property.Name;
            entries.Add(new HealthProfileEntry(property.Name, name, Codes("readBy", false), Codes("recordedBy", true)));
        }

        return problems.Count == 0 ? new HealthProfile(entries) : throw new InvalidDataException(string.Join(" ", problems));
    }
}
