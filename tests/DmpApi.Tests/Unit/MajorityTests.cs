using DmpApi.Patients;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Unit;

/// <summary>When a minor holder comes of age (issue 14): eighteen years after the birth date, on the day.</summary>
public sealed class MajorityTests
{
    [TestCase("2008-03-14", "2026-03-14")]
    [TestCase("2008-02-29", "2026-02-28")]
    [TestCase("2008-07", "2026-07-01")]
    [TestCase("2008", "2026-01-01")]
    public void The_holder_comes_of_age_eighteen_years_after_the_birth_date(string birthDate, string majority)
    {
        var day = MinorRecord.MajorityDay(new Patient { BirthDate = birthDate });

        Assert.That(day, Is.EqualTo(DateOnly.Parse(majority, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void A_holder_without_a_birth_date_is_taken_as_an_adult()
    {
        var record = DmpApi.Access.RecordDirectives.Read(new Patient(), []);

        Assert.That(record.IsMinorAt(DateTimeOffset.UtcNow), Is.False);
    }

    [Test]
    public void Majority_is_decided_on_the_day_in_France()
    {
        // 2026-03-13T23:30Z is already 14 March in Paris (UTC+1 in winter).
        var record = DmpApi.Access.RecordDirectives.Read(new Patient { BirthDate = "2008-03-14" }, []);

        Assert.Multiple(() =>
        {
            Assert.That(record.IsMinorAt(new DateTimeOffset(2026, 3, 13, 22, 30, 0, TimeSpan.Zero)), Is.True, "23:30 in Paris on the 13th");
            Assert.That(record.IsMinorAt(new DateTimeOffset(2026, 3, 13, 23, 30, 0, TimeSpan.Zero)), Is.False, "00:30 in Paris on the 14th");
        });
    }
}
