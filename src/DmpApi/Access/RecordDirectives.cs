using Hl7.Fhir.Model;
using DmpApi.Patients;
using PatientIns = DmpApi.Patients.Ins;

namespace DmpApi.Access;

/// <summary>
/// What the access rules need to know about one record (DMP-RULES §2, §5), read from its Patient and its Consents:
/// closure, the médecins traitants, and the patient's directives in force or not; plus what was ignored, and why.
/// </summary>
public sealed record RecordDirectives(
    IReadOnlySet<string> InsValues,
    bool IsClosed,
    IReadOnlySet<string> TreatingDoctors,
    IReadOnlyList<ConsentDirective> Directives,
    IReadOnlyList<IgnoredDirective> Ignored)
{
    /// <summary>Reads the record; the Consents are those of this record (the store partitions by patient).</summary>
    public static RecordDirectives Read(Patient patient, IEnumerable<Consent> consents, IEnumerable<RelatedPerson>? relatedPersons = null)
    {
        ArgumentNullException.ThrowIfNull(patient);
        ArgumentNullException.ThrowIfNull(consents);
        var ignored = new List<IgnoredDirective>();

        var ins = patient.Identifier
            .Where(i => i?.System is not null && PatientIns.Systems.Contains(i.System) && !string.IsNullOrWhiteSpace(i.Value))
            .Select(i => PatientIns.Normalize(i.Value!))
            .ToHashSet(StringComparer.Ordinal);

        // DMP-RULES §5: médecins traitants are the generalPractitioner references identified by an idNatPs; several are allowed.
        var treatingDoctors = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < patient.GeneralPractitioner.Count; i++)
        {
            if (ConsentDirectives.IdNatPsOf(patient.GeneralPractitioner[i]) is { } idNatPs)
            {
                treatingDoctors.Add(idNatPs);
            }
            else
            {
                ignored.Add(new IgnoredDirective($"Patient.generalPractitioner[{i}]", $"it has no identifier with system {DmpCodes.IdNatPsSystem}, so it names no médecin traitant."));
            }
        }

        var directives = new List<ConsentDirective>();
        foreach (var consent in consents.Where(c => c is not null))
        {
            var reading = ConsentDirectives.Read(consent);
            directives.AddRange(reading.Directives);
            ignored.AddRange(reading.Ignored);
        }

        // DMP-RULES §2 rule 1: Patient.active = false is a closed record; absent means open.
        return new RecordDirectives(ins, patient.Active == false, treatingDoctors, directives, ignored)
        {
            MajorityDay = MinorRecord.MajorityDay(patient),
            MinorAccessMode = MinorRecord.AccessModeOf(patient),
            Representatives = (relatedPersons ?? []).Where(r => r is not null && r.Active != false)
                .SelectMany(r => r.Identifier.Where(i => i.System == Auth.Requester.RepresentativeIdSystem && !string.IsNullOrWhiteSpace(i.Value)))
                .Select(i => PatientIns.Normalize(i.Value!))
                .ToHashSet(StringComparer.Ordinal),
        };
    }

    /// <summary>The day the holder comes of age; null when the birth date is unknown (then the holder is taken as an adult).</summary>
    public DateOnly? MajorityDay { get; init; }

    /// <summary>The access mode of a minor's record: <see cref="MinorRecord.Normal"/> or <see cref="MinorRecord.Secret"/>.</summary>
    public string MinorAccessMode { get; init; } = MinorRecord.Normal;

    /// <summary>The identifiers (INS-NIR) of the legal representatives the record's active RelatedPersons name.</summary>
    public IReadOnlySet<string> Representatives { get; init; } = new HashSet<string>();

    /// <summary>
    /// Whether the holder is a minor at <paramref name="now"/>: majority comes on the day (Code civil art. 414), the day
    /// counted in France's time (Europe/Paris), decided on the request's clock and never written anywhere.
    /// </summary>
    public bool IsMinorAt(DateTimeOffset now) => MajorityDay is { } majority && DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, France).DateTime) < majority;

    public bool IsRepresentedBy(string? representativeId) => representativeId is { Length: > 0 } && Representatives.Contains(PatientIns.Normalize(representativeId));

    private static readonly TimeZoneInfo France = FindFrance();

    private static TimeZoneInfo FindFrance()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            // A host without time zone data decides the day in UTC: at most a few hours' difference around midnight.
            return TimeZoneInfo.Utc;
        }
    }

    /// <summary>The record is this patient's own when one of its INS is the token's.</summary>
    public bool BelongsTo(string? ins) => ins is { Length: > 0 } && InsValues.Contains(PatientIns.Normalize(ins));

    public bool IsTreatingDoctor(string idNatPs) => TreatingDoctors.Contains(idNatPs);

    public bool IsBlocked(string idNatPs, DateTimeOffset now) => InForce(ConsentDirectiveKind.Block, now).Any(d => d.IdNatPs == idNatPs);

    public bool OpposesBreakTheGlass(DateTimeOffset now) => InForce(ConsentDirectiveKind.BreakTheGlassOpposition, now).Any();

    public bool OpposesRegulation(DateTimeOffset now) => InForce(ConsentDirectiveKind.RegulationOpposition, now).Any();

    /// <summary>An emergency-only permit of this professional for that mode (BreakTheGlassPermit or RegulationPermit), in force now.</summary>
    public bool PermitsInEmergency(string idNatPs, ConsentDirectiveKind kind, DateTimeOffset now) => InForce(kind, now).Any(d => d.IdNatPs == idNatPs);

    /// <summary>Every permit naming this professional, in force or not (the denial message tells which).</summary>
    public IEnumerable<ConsentDirective> PermitsFor(string idNatPs) =>
        Directives.Where(d => d.Kind == ConsentDirectiveKind.Permit && d.IdNatPs == idNatPs);

    private IEnumerable<ConsentDirective> InForce(ConsentDirectiveKind kind, DateTimeOffset now) =>
        Directives.Where(d => d.Kind == kind && d.IsInForce(now));
}
