using Hl7.Fhir.Model;

namespace DmpApi.Patients;

/// <summary>
/// A minor's record (issue 14): the access mode the professional who opens it sets, as an extension of Patient under
/// this server's base (`{base}/StructureDefinition/dmp-minor-access-mode`, valueCode `normal` or `secret`), and the
/// RelatedPerson that links a legal representative to the record.
/// </summary>
public static class MinorRecord
{
    public const string AccessModeName = "/StructureDefinition/dmp-minor-access-mode";

    /// <summary>Representatives act for the minor as the patient does, minus what is labelled INVISIBLE_REPRESENTANTS_LEGAUX.</summary>
    public const string Normal = "normal";

    /// <summary>Opened under the minor's secret (CSP L1111-5: care the minor keeps from the holders of parental authority): representatives see nothing.</summary>
    public const string Secret = "secret";

    /// <summary>Majority in France (Code civil art. 414), from the birth date, on the day.</summary>
    public const int MajorityAge = 18;

    /// <summary>A record has two legal representatives at most (the holders of parental authority, or a guardian).</summary>
    public const int MaxRepresentatives = 2;

    /// <summary>v3-RoleCode relationships that make a legal representative: mother, father, parent, guardian.</summary>
    public const string RoleCodeSystem = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";

    public static readonly IReadOnlySet<string> RepresentativeRoles = new HashSet<string>(StringComparer.Ordinal) { "MTH", "FTH", "PRN", "GUARD" };

    public static bool IsAccessMode(Extension extension) => extension.Url?.EndsWith(AccessModeName, StringComparison.Ordinal) == true;

    /// <summary>The access mode written on the Patient; a record without one is in normal mode.</summary>
    public static string AccessModeOf(Patient patient) =>
        patient.Extension.FirstOrDefault(IsAccessMode)?.Value is Code { Value: Secret } ? Secret : Normal;

    /// <summary>The day the holder comes of age (a 29 February birth: 28 February), or null without a readable birth date (then adult).</summary>
    public static DateOnly? MajorityDay(Patient patient)
    {
        // A partial birth date (year, year-month) counts from its first day: the holder gains their record at the earliest.
        var text = patient.BirthDate;
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var parts = text.Split('-');
        if (!int.TryParse(parts[0], out var year) || year < 1)
        {
            return null;
        }

        var month = parts.Length > 1 && int.TryParse(parts[1], out var m) && m is >= 1 and <= 12 ? m : 1;
        var day = parts.Length > 2 && int.TryParse(parts[2], out var d) && d >= 1 && d <= DateTime.DaysInMonth(year, month) ? d : 1;
        return new DateOnly(year, month, day).AddYears(MajorityAge);
    }
}
