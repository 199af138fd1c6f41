using DmpApi.Fhir;

namespace DmpApi.Tests.Unit;

/// <summary>A FHIR date as the UTC interval it covers (FHIR R4 §3.1.1.4.2): its precision sets the interval's width.</summary>
public sealed class FhirDateRangeTests
{
    private static readonly DateTime Utc2024March15 = new(2024, 3, 15, 0, 0, 0, DateTimeKind.Utc);

    [Test]
    public void A_year_covers_the_whole_year()
    {
        AssertRange("2024", new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc));
    }

    [Test]
    public void A_month_covers_the_whole_month_including_a_leap_day()
    {
        AssertRange("2024-02", new DateTime(2024, 2, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(2024, 3, 1, 0, 0, 0, DateTimeKind.Utc));
    }

    [Test]
    public void A_day_covers_the_whole_UTC_day()
    {
        AssertRange("2024-03-15", Utc2024March15, Utc2024March15.AddDays(1));
    }

    [Test]
    public void A_time_to_the_minute_covers_one_minute()
    {
        AssertRange("2024-03-15T10:30Z", Utc2024March15.AddHours(10.5), Utc2024March15.AddHours(10.5).AddMinutes(1));
    }

    [Test]
    public void A_time_to_the_second_covers_one_second()
    {
        AssertRange("2024-03-15T10:30:15Z", Utc2024March15.AddHours(10.5).AddSeconds(15), Utc2024March15.AddHours(10.5).AddSeconds(16));
    }

    [Test]
    public void A_fraction_of_a_second_covers_its_own_precision()
    {
        var start = Utc2024March15.AddHours(10).AddMilliseconds(500);

        AssertRange("2024-03-15T10:00:00.5Z", start, start.AddMilliseconds(100));
    }

    [Test]
    public void A_positive_offset_is_converted_to_UTC()
    {
        AssertRange("2024-03-15T10:30:00+02:00", Utc2024March15.AddHours(8.5), Utc2024March15.AddHours(8.5).AddSeconds(1));
    }

    [Test]
    public void A_negative_offset_can_move_the_instant_to_the_next_UTC_day()
    {
        var start = Utc2024March15.AddDays(1).AddHours(1.5);

        AssertRange("2024-03-15T23:30:00-02:00", start, start.AddSeconds(1));
    }

    [Test]
    public void A_time_without_zone_is_read_as_UTC()
    {
        AssertRange("2024-03-15T10:30:00", Utc2024March15.AddHours(10.5), Utc2024March15.AddHours(10.5).AddSeconds(1));
    }

    [TestCase("")]
    [TestCase("   ")]
    [TestCase("24")]
    [TestCase("2024-13")]
    [TestCase("2024-02-30")]
    [TestCase("2024-3-15")]
    [TestCase("2024-03-15T25:00:00Z")]
    [TestCase("2024-03-15T10:00:00+2:00")]
    [TestCase("15/03/2024")]
    [TestCase("yesterday")]
    public void An_invalid_value_does_not_parse(string value)
    {
        Assert.That(FhirDateRange.TryParse(value, out _), Is.False);
    }

    [Test]
    public void Null_does_not_parse()
    {
        Assert.That(FhirDateRange.TryParse(null, out _), Is.False);
    }

    /// <summary>Ranges are closed: they end one tick before the next interval starts.</summary>
    private static void AssertRange(string value, DateTime start, DateTime nextStart)
    {
        var parsed = FhirDateRange.TryParse(value, out var range);

        Assert.Multiple(() =>
        {
            Assert.That(parsed, Is.True, value);
            Assert.That(new DateTime(range.Start, DateTimeKind.Utc), Is.EqualTo(start), "start of " + value);
            Assert.That(range.End, Is.EqualTo(nextStart.Ticks - 1), "end of " + value);
        });
    }
}
