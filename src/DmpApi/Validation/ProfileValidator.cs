using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using DmpApi.Fhir;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace DmpApi.Validation;

/// <summary>
/// Firely's validator over the core R4 definitions (specification.zip) and the PDSm profiles this server claims
/// (Validation/Profiles, written as conformance resources with their source named): one per process, since the
/// profiles are part of the build. The snapshots are generated once and the schemas compiled once, on first use
/// (<see cref="Warm"/> at start); validating afterwards costs the walk of the instance only.
/// </summary>
public sealed class ProfileValidator
{
    private static readonly Lazy<ProfileValidator> Shared = new(() => new ProfileValidator(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Validator _validator;

    private ProfileValidator()
    {
        var core = ZipSource.CreateValidationSource();
        Profiles = WithSnapshots(LoadProfiles(), core);
        var supported = Profiles.Select(p => p.Url!).ToHashSet(StringComparer.Ordinal);
        Supported = supported;
        // Ours, then the core definitions (which come with their snapshots); the compiled schemas are kept by the Validator.
        var resolver = new CachedResolver(new MultiResolver(new InMemoryResourceResolver(Profiles), core));
        var settings = new ValidationSettings
        {
            // A declared profile the server does not know is not validated against (docs/VALIDATION.md): the core type still is.
            SelectValidationProfiles = (_, declared, _, _) => declared.Where(p => supported.Contains(StripVersion(p.ToString()))).ToArray(),
        };
        Terminology = new RememberedTerminology(LocalTerminologyService.CreateDefaultForCore(resolver));
        _validator = new Validator(resolver, Terminology, null, settings);
    }

    public static ProfileValidator Instance => Shared.Value;

    /// <summary>The profiles this server validates against (its CapabilityStatement's supportedProfile).</summary>
    public IReadOnlyList<StructureDefinition> Profiles { get; }

    /// <summary>The required bindings' answers, remembered for the process (<see cref="RememberedTerminology"/>).</summary>
    public RememberedTerminology Terminology { get; }

    /// <summary>Canonical URLs of <see cref="Profiles"/>.</summary>
    public IReadOnlySet<string> Supported { get; }

    /// <summary>Validates against the core type, the supported profiles of its meta.profile and <paramref name="profile"/> when given.</summary>
    public OperationOutcome Validate(Resource resource, string? profile = null)
    {
        // The Validator is thread-safe and shared: its compiled schemas are reused by every request.
        return _validator.Validate(resource, profile);
    }

    /// <summary>Compiles the profiles and the core <paramref name="types"/> (at start, not on the first write); once per process.</summary>
    public static void Warm(IEnumerable<string> types)
    {
        var validator = Instance;
        lock (Warmed)
        {
            var profiles = validator.Profiles.Where(p => p.Kind == StructureDefinition.StructureDefinitionKind.Resource).Select(p => (p.Type!, (string?)p.Url));
            foreach (var (type, profile) in types.Select(t => (t, (string?)null)).Concat(profiles).Where(Warmed.Add))
            {
                validator.Validate((Resource)Activator.CreateInstance(ModelInfo.GetTypeForFhirType(type)!)!, profile);
            }
        }
    }

    private static readonly HashSet<(string Type, string? Profile)> Warmed = [];

    /// <summary>A canonical may name a version (`url|1.0`): the server holds one version of each profile.</summary>
    public static string StripVersion(string canonical) => canonical.Split('|')[0];

    /// <summary>
    /// The profiles are written as differentials; their snapshots are generated here, once and on one thread (the
    /// snapshot generator is not re-entrant, so it never runs while requests validate).
    /// </summary>
    private static List<StructureDefinition> WithSnapshots(List<StructureDefinition> differentials, IAsyncResourceResolver core)
    {
        var generator = new SnapshotSource(new MultiResolver(new InMemoryResourceResolver(differentials), core));
        return differentials
            .Select(d => (StructureDefinition?)generator.ResolveByCanonicalUriAsync(d.Url).GetAwaiter().GetResult()
                ?? throw new InvalidOperationException($"No snapshot could be generated for {d.Url}."))
            .ToList();
    }

    private static List<StructureDefinition> LoadProfiles()
    {
        var assembly = typeof(ProfileValidator).Assembly;
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Select(n =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var bytes = new MemoryStream();
                stream.CopyTo(bytes);
                return (StructureDefinition)FhirWire.DeserializeJson(bytes.ToArray());
            })
            .ToList();
    }

    private const string ResourcePrefix = "DmpApi.Validation.Profiles.";
}
