using DmpApi.Access;
using DmpApi.Auth;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Access;

/// <summary>Access/health-profile.json (issue 15): the rules of the health profile are data, and a broken table is refused whole.</summary>
public sealed class HealthProfileTableTests
{
    private static Requester Professional(string profession, string idNatPs = "810007000001") =>
        new(RequesterKind.Professional, idNatPs, idNatPs, profession, null, "Dr T", "TREAT", new HashSet<string>());

    [Test]
    public void The_shipped_table_covers_the_four_profile_types_and_lets_the_feed_record_each()
    {
        var table = HealthProfile.Default;

        Assert.Multiple(() =>
        {
            Assert.That(table.Entries.Select(e => e.Type), Is.EquivalentTo(new[] { "Condition", "MedicationStatement", "Immunization", "Observation" }));
            Assert.That(table.Entries.Where(e => !e.RecordedBy.Contains(HealthProfile.SystemRecorder)).Select(e => e.Type), Is.Empty);
        });
    }

    [Test]
    public void A_table_naming_an_unknown_profession_or_type_is_refused_with_every_problem()
    {
        const string json = """
            { "entries": {
                "Condition": { "readBy": [ "10", "99" ], "recordedBy": [ "10" ] },
                "NotAType": { "readBy": [ "10" ], "recordedBy": [ "10" ] },
                "Observation": { "readBy": [ "system" ], "recordedBy": [ "system" ] } } }
            """;

        var refused = Assert.Throws<InvalidDataException>(() => HealthProfile.Parse(json));

        Assert.Multiple(() =>
        {
            Assert.That(refused!.Message, Does.Contain("'99'"));
            Assert.That(refused.Message, Does.Contain("NotAType"));
            Assert.That(refused.Message, Does.Contain("entries.Observation.readBy: 'system'"), "a system reads nothing");
        });
    }

    [Test]
    public void A_nurse_records_a_vaccination_but_not_an_antecedent()
    {
        var nurse = Professional("60");

        Assert.Multiple(() =>
        {
            Assert.That(HealthProfile.Default.Write(nurse, "Immunization", nurse.IdNatPs, null, null, new Immunization()), Is.Null);
            Assert.That(HealthProfile.Default.Write(nurse, "Condition", nurse.IdNatPs, null, null, new Condition()), Does.Contain("health-profile.json"));
        });
    }
}
