using System.Globalization;
using System.Text.RegularExpressions;

namespace DmpApi.Fhir;

/// <summary>
/// A FHIR date, dateTime or instant as the UTC interval it covers (FHIR R4 §3.1.1.4.2: "2024-05" means the whole month).
/// Values without a time zone are read as UTC.
/// </summary>
public readonly partial record struct FhirDateRange(long Start, long End)
{
    public static bool TryParse(string? value, out FhirDateRange range)
    {
        range = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var m = Pattern().Match(value.Trim());
        if (!m.Success)
        {
            return false;
        }

        try
        {
            var year = int.Parse(m.Groups["y"].Value, CultureInfo.InvariantCulture);
            if (!m.Groups["mo"].Success)
            {
                var from = new DateTime(year, 1, 1, 0, 0, 0, DateTimeKind.Utc);
                range = new(from.Ticks, from.AddYears(1).Ticks - 1);
                return true;
            }

            var month = int.Parse(m.Groups["mo"].Value, CultureInfo.InvariantCulture);
            if (!m.Groups["d"].Success)
            {
                var from = new DateTime(year, month, 1, 0, 0, 0, DateTimeKind.Utc);
                range = new(from.Ticks, from.AddMonths(1).Ticks - 1);
                return true;
            }

            var day = int.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture);
            if (!m.Groups["h"].Success)
            {
                var from = new DateTime(year, month, day, 0, 0, 0, DateTimeKind.Utc);
                range = new(from.Ticks, from.AddDays(1).Ticks - 1);
                return true;
            }

            var offset = m.Groups["tz"].Success && m.Groups["tz"].Value != "Z"
                ? TimeSpan.ParseExact(m.Groups["tz"].Value.TrimStart('+', '-'), @"hh\:mm", CultureInfo.InvariantCulture) * (m.Groups["tz"].Value[0] == '-' ? -1 : 1)
                : TimeSpan.Zero;
            var local = new DateTime(year, month, day, int.Parse(m.Groups["h"].Value, CultureInfo.InvariantCulture),
                int.Parse(m.Groups["mi"].Value, CultureInfo.InvariantCulture), 0, DateTimeKind.Unspecified);
            var utc = new DateTimeOffset(local, offset).UtcDateTime;
            if (!m.Groups["s"].Success)
            {
                range = new(utc.Ticks, utc.AddMinutes(1).Ticks - 1);
                return true;
            }

            utc = utc.AddSeconds(int.Parse(m.Groups["s"].Value, CultureInfo.InvariantCulture));
            if (!m.Groups["f"].Success)
            {
                range = new(utc.Ticks, utc.AddSeconds(1).Ticks - 1);
                return true;
            }

            var fraction = m.Groups["f"].Value;
            var ticks = (long)(double.Parse("0." + fraction, CultureInfo.InvariantCulture) * TimeSpan.TicksPerSecond);
            var precision = (long)Math.Pow(10, Math.Max(0, 7 - fraction.Length));
            range = new(utc.Ticks + ticks, utc.Ticks + ticks + Math.Max(precision, 1) - 1);
            return true;
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or FormatException or OverflowException)
        {
            return false;
        }
    }

    public static FhirDateRange FromInstant(DateTime utc) => new(utc.Ticks, utc.Ticks);

    [GeneratedRegex(@"^(?<y>\d{4})(-(?<mo>\d{2})(-(?<d>\d{2})(T(?<h>\d{2}):(?<mi>\d{2})(:(?<s>\d{2})(\.(?<f>\d{1,9}))?)?(?<tz>Z|[+-]\d{2}:\d{2})?)?)?)?$")]
    private static partial Regex Pattern();
}
