using System.Text.Json;
using DmpApi.Audit;
using DmpApi.Auth;
using Microsoft.Extensions.Configuration;

namespace DmpApi.Tests.Unit;

/// <summary>Auth:ClaimMappings is configuration: each requester field read where the provider puts it (docs/PRO-SANTE-CONNECT.md).</summary>
public sealed class ClaimMappingTests
{
    private const string PscUserInfo = """
        {
          "sub": "f:550dc1c8-d97b-4b1e-ac8c-8eb4471cf9dd:899700218896",
          "preferred_username": "899700218896",
          "SubjectNameID": "899700218896",
          "given_name": "ROBERT",
          "family_name": "SPECIALISTE0021889",
          "Acces_Regulation_Medicale": "FAUX",
          "Mode_Acces_Raison": "",
          "SubjectRefPro": { "exercices": [ { "codeProfession": "10", "codeSavoirFaire": "SM26", "activities": [ { "codeModeExercice": "L" } ] } ] }
        }
        """;

    private static ClaimMapping Psc(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>("Auth:ClaimMappings:ProSanteConnect:" + s.Key, s.Value)))
            .Build();
        return (configuration.GetSection(AuthOptions.Section).Get<AuthOptions>() ?? new AuthOptions()).ClaimMappings.ProSanteConnect;
    }

    private static Requester? Read(ClaimMapping mapping, string token, string userInfo = PscUserInfo) =>
        Requester.FromClaims(new ClaimPath(JsonDocument.Parse(token).RootElement, JsonDocument.Parse(userInfo).RootElement), mapping, out _);

    [Test]
    public void PSC_defaults_read_idNatPs_name_and_profession_from_userinfo_and_the_mode_from_the_token()
    {
        var requester = Read(Psc(), """{ "sub": "x", "purpose_of_use": "bris_de_glace" }""");

        Assert.That(requester, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(requester!.IdNatPs, Is.EqualTo("899700218896"));
            Assert.That(requester.Profession, Is.EqualTo("10"));
            Assert.That(requester.Name, Is.EqualTo("ROBERT SPECIALISTE0021889"));
            Assert.That(requester.PurposeOfUse, Is.EqualTo("BTG"));
            Assert.That(requester.PurposeOfUseReason, Is.Null, "an empty Mode_Acces_Raison is no justification");
            Assert.That(requester.HasRegulationAttribute, Is.False, "FAUX");
        });
    }

    [Test]
    public void A_configured_path_replaces_the_default_one()
    {
        var requester = Read(Psc(("IdNatPs", "SubjectNameID"), ("Profession", "SubjectRefPro.exercices[0].codeSavoirFaire")),
            """{ "sub": "x" }""", PscUserInfo.Replace("\"preferred_username\": \"899700218896\",", string.Empty).Replace("SM26", "10"));

        Assert.Multiple(() =>
        {
            Assert.That(requester?.IdNatPs, Is.EqualTo("899700218896"));
            Assert.That(requester?.Profession, Is.EqualTo("10"));
        });
    }

    [Test]
    public void Configured_access_mode_codes_are_added_to_the_default_ones()
    {
        var mapping = Psc(("PurposeOfUseCodes:urgence", "BTG"));

        Assert.Multiple(() =>
        {
            Assert.That(Read(mapping, """{ "purpose_of_use": "urgence" }""")?.PurposeOfUse, Is.EqualTo("BTG"));
            Assert.That(Read(mapping, """{ "purpose_of_use": "centre_15" }""")?.PurposeOfUse, Is.EqualTo("ETREAT"));
        });
    }

    [Test]
    public void The_regulation_attribute_is_granted_by_the_configured_values_only()
    {
        var granting = PscUserInfo.Replace("\"FAUX\"", "\"VRAI\"");

        Assert.Multiple(() =>
        {
            Assert.That(Read(Psc(), "{}", granting)?.HasRegulationAttribute, Is.True);
            Assert.That(Read(Psc(("RegulationGrantedValues", "OUI")), "{}", granting)?.HasRegulationAttribute, Is.False);
        });
    }

    [Test]
    public void An_unknown_access_mode_is_refused_naming_the_claim()
    {
        Requester.FromClaims(new ClaimPath(JsonDocument.Parse("""{ "purpose_of_use": "curiosite" }""").RootElement, JsonDocument.Parse(PscUserInfo).RootElement),
            Psc(), out var problem);

        Assert.That(problem, Does.Contain("purpose_of_use").And.Contain("curiosite"));
    }

    [Test]
    public void A_justification_is_part_of_the_audit_records_hash()
    {
        var record = new AuditRecord
        {
            RecordedAt = new DateTime(2026, 12, 3, 8, 0, 0, DateTimeKind.Utc), RequesterKind = "Professional", Subject = "s", Interaction = "read",
            Method = "GET", Path = "/fhir/Patient/1", RequestId = "r", PurposeOfUse = "BTG", Sequence = 1,
        };
        var without = AuditChain.HashOf(record, AuditChain.Genesis);
        record.PurposeOfUseReason = "Patient inconscient";

        Assert.That(AuditChain.HashOf(record, AuditChain.Genesis), Is.Not.EqualTo(without));
    }
}
