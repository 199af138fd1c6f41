using System.Text;
using DmpApi.Access;
using DmpApi.Fhir;
using DmpApi.Patients;
using Hl7.Fhir.Model;
using static DmpApi.Tests.Access.Requesters;

namespace DmpApi.Tests.Access;

/// <summary>DMP-RULES §5: what the rules read from Consents (IHE PCF shape) and from the Patient.</summary>
public sealed class ConsentDirectivesTests
{
    private static ConsentDirective Single(Consent consent)
    {
        var reading = ConsentDirectives.Read(consent);
        Assert.That(reading.Ignored, Is.Empty, () => string.Join(" ", reading.Ignored));
        Assert.That(reading.Directives, Has.Count.EqualTo(1));
        return reading.Directives[0];
    }

    private static string IgnoredBecause(Consent consent)
    {
        var reading = ConsentDirectives.Read(consent);
        Assert.That(reading.Directives, Is.Empty);
        Assert.That(reading.Ignored, Has.Count.EqualTo(1));
        Assert.That(reading.Ignored[0].Source, Is.EqualTo($"Consent/{consent.Id}"));
        return reading.Ignored[0].Reason;
    }

    [Test]
    public void Active_permit_in_PCF_shape_is_read_from_its_json()
    {
        const string json = """
            {
              "resourceType": "Consent", "id": "c1", "status": "active",
              "scope": { "coding": [ { "system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy" } ] },
              "category": [ { "coding": [ { "system": "http://loinc.org", "code": "59284-0" } ] } ],
              "patient": { "identifier": { "system": "urn:oid:1.2.250.1.213.1.4.8", "value": "255081416802538" } },
              "dateTime": "2026-11-20T11:25:00+01:00",
              "policyRule": { "coding": [ { "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN" } ] },
              "provision": {
                "type": "permit",
                "period": { "start": "2026-11-20", "end": "2027-11-19" },
                "actor": [ {
                  "role": { "coding": [ { "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP" } ] },
                  "reference": { "identifier": { "system": "urn:oid:1.2.250.1.71.4.2.1", "value": "810001234567" }, "display": "Dr Jean DURAND" }
                } ],
                "purpose": [ { "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason", "code": "TREAT" } ]
              }
            }
            """;
        var consent = (Consent)FhirWire.DeserializeJson(Encoding.UTF8.GetBytes(json));

        var permit = Single(consent);

        Assert.That(permit, Is.EqualTo(new ConsentDirective(ConsentDirectiveKind.Permit, "810001234567",
            new DirectivePeriod(new DateTimeOffset(2026, 11, 20, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 11, 20, 0, 0, 0, TimeSpan.Zero).AddTicks(-1)), "c1")));
    }

    [Test]
    public void Permit_without_period_is_always_in_force() =>
        Assert.That(Single(Consents.Permit(DoctorId)).Period, Is.EqualTo(DirectivePeriod.Always));

    [Test]
    public void Permit_naming_two_professionals_authorises_both()
    {
        var consent = Consents.Permit(DoctorId);
        consent.Provision!.Actor.Add(Consents.Actor(OtherId));

        Assert.That(ConsentDirectives.Read(consent).Directives.Select(d => d.IdNatPs), Is.EquivalentTo(new[] { DoctorId, OtherId }));
    }

    [TestCase(Consent.ConsentState.Inactive, "inactive")]
    [TestCase(Consent.ConsentState.Draft, "draft")]
    [TestCase(Consent.ConsentState.Rejected, "rejected")]
    [TestCase(Consent.ConsentState.EnteredInError, "entered-in-error")]
    public void Only_active_consents_count(Consent.ConsentState status, string literal)
    {
        var consent = Consents.Permit(DoctorId);
        consent.Status = status;

        Assert.That(IgnoredBecause(consent), Does.Contain($"status is {literal}"));
    }

    [Test]
    public void Consent_without_status_or_provision_is_ignored_without_crashing()
    {
        var reading = ConsentDirectives.Read(new Consent());

        Assert.That(reading.Directives, Is.Empty);
        Assert.That(reading.Ignored.Single().Reason, Does.Contain("status is missing"));
    }

    [Test]
    public void Consents_with_empty_items_are_read_without_crashing()
    {
        var permit = Consents.Permit(DoctorId);
        permit.Provision!.Actor.Add(null!);
        permit.Provision.Purpose.Insert(0, null!);
        var block = Consents.Block(OtherId);
        block.Provision!.Actor.Insert(0, null!);

        var record = new RecordBuilder().With(permit).With(block).With(null!).Build();

        Assert.That(record.Directives.Single().Kind, Is.EqualTo(ConsentDirectiveKind.Block));
        Assert.That(record.Ignored, Has.Count.EqualTo(2));
    }

    [Test]
    public void Consent_without_provision_is_ignored()
    {
        var consent = Consents.Permit(DoctorId);
        consent.Provision = null;

        Assert.That(IgnoredBecause(consent), Does.Contain("no provision"));
    }

    [Test]
    public void Consent_of_another_scope_is_ignored()
    {
        var consent = Consents.Permit(DoctorId);
        consent.Scope = new CodeableConcept(DmpCodes.ConsentScopeSystem, "research");

        Assert.That(IgnoredBecause(consent), Does.Contain("patient-privacy"));
    }

    [Test]
    public void Provision_without_type_is_ignored()
    {
        var consent = Consents.Permit(DoctorId);
        consent.Provision!.Type = null;

        Assert.That(IgnoredBecause(consent), Does.Contain("neither permit nor deny"));
    }

    [Test]
    public void Permit_without_an_access_mode_purpose_is_ignored()
    {
        var consent = Consents.Permit(DoctorId);
        consent.Provision!.Purpose = [new Coding(DmpCodes.ActReasonSystem, "HRESCH")];

        Assert.That(IgnoredBecause(consent), Does.Contain("purpose"));
    }

    [TestCase(DmpCodes.BreakTheGlass, ConsentDirectiveKind.BreakTheGlassPermit)]
    [TestCase(DmpCodes.Regulation, ConsentDirectiveKind.RegulationPermit)]
    public void Permit_whose_purpose_is_an_emergency_mode_is_an_emergency_only_permit(string purpose, ConsentDirectiveKind expected)
    {
        var reading = ConsentDirectives.Read(Consents.PermitOnlyIn(purpose, DoctorId));

        Assert.That(reading.Ignored, Is.Empty);
        Assert.That(reading.Directives.Select(d => (d.Kind, d.IdNatPs)), Is.EqualTo(new[] { (expected, (string?)DoctorId) }));
    }

    [Test]
    public void Permit_without_actor_is_ignored()
    {
        var consent = Consents.Permit(DoctorId);
        consent.Provision!.Actor.Clear();

        Assert.That(IgnoredBecause(consent), Does.Contain("provision.actor"));
    }

    [Test]
    public void Permit_whose_actor_is_not_an_information_recipient_is_ignored()
    {
        var consent = Consents.Permit(DoctorId);
        consent.Provision!.Actor[0].Role = new CodeableConcept(DmpCodes.ParticipationTypeSystem, "PRCP");

        Assert.That(IgnoredBecause(consent), Does.Contain("provision.actor[0].role"));
    }

    [Test]
    public void Permit_naming_a_professional_without_idNatPs_grants_nothing()
    {
        var consent = Consents.Permit(DoctorId);
        consent.Provision!.Actor.Add(new Consent.provisionActorComponent
        {
            Role = new CodeableConcept(DmpCodes.ParticipationTypeSystem, DmpCodes.InformationRecipient),
            Reference = new ResourceReference("Practitioner/123"),
        });

        Assert.That(IgnoredBecause(consent), Does.Contain("provision.actor[1].reference"));
    }

    [Test]
    public void Permit_limited_to_part_of_the_record_is_ignored()
    {
        var consent = Consents.Permit(DoctorId);
        consent.Provision!.Class = [new Coding("http://hl7.org/fhir/resource-types", "DocumentReference")];

        Assert.That(IgnoredBecause(consent), Does.Contain("limited to part of the record"));
    }

    [Test]
    public void Permit_with_nested_provisions_is_ignored()
    {
        var consent = Consents.Permit(DoctorId);
        consent.Provision!.Provision.Add(new Consent.provisionComponent { Type = Consent.ConsentProvisionType.Deny });

        Assert.That(IgnoredBecause(consent), Does.Contain("nested"));
    }

    [Test]
    public void Permit_with_a_malformed_period_is_ignored()
    {
        var consent = Consents.Permit(DoctorId);
        consent.Provision!.Period = new Period { Start = "next monday" };

        Assert.That(IgnoredBecause(consent), Does.Contain("'next monday' is not a FHIR dateTime"));
    }

    [Test]
    public void Permit_ending_before_it_starts_is_ignored() =>
        Assert.That(IgnoredBecause(Consents.Permit(DoctorId, "2026-12-01", "2026-11-01")), Does.Contain("ends"));

    [Test]
    public void Deny_naming_a_professional_is_a_block() =>
        Assert.That(Single(Consents.Block(DoctorId)), Has.Property(nameof(ConsentDirective.Kind)).EqualTo(ConsentDirectiveKind.Block)
            .And.Property(nameof(ConsentDirective.IdNatPs)).EqualTo(DoctorId));

    [Test]
    public void Deny_naming_a_professional_blocks_them_whatever_its_purpose()
    {
        var consent = Consents.Block(DoctorId);
        consent.Provision!.Purpose = [new Coding(DmpCodes.ActReasonSystem, DmpCodes.Treatment)];

        Assert.That(Single(consent).Kind, Is.EqualTo(ConsentDirectiveKind.Block));
    }

    [Test]
    public void Deny_blocks_the_professionals_it_can_identify_and_reports_the_others()
    {
        var consent = Consents.Block(DoctorId);
        consent.Provision!.Actor.Add(new Consent.provisionActorComponent { Reference = new ResourceReference("Practitioner/123") });

        var reading = ConsentDirectives.Read(consent);

        Assert.That(reading.Directives.Single().IdNatPs, Is.EqualTo(DoctorId));
        Assert.That(reading.Ignored.Single().Reason, Does.Contain("provision.actor[1]"));
    }

    [Test]
    public void Deny_with_a_malformed_period_still_applies()
    {
        var consent = Consents.Block(DoctorId);
        consent.Provision!.Period = new Period { End = "soon" };

        var reading = ConsentDirectives.Read(consent);

        Assert.That(reading.Directives.Single().Period, Is.EqualTo(DirectivePeriod.Always));
        Assert.That(reading.Ignored.Single().Reason, Does.Contain("applied without a period"));
    }

    [Test]
    public void Deny_without_actor_for_BTG_is_an_opposition_to_break_the_glass() =>
        Assert.That(Single(Consents.Opposition(DmpCodes.BreakTheGlass)).Kind, Is.EqualTo(ConsentDirectiveKind.BreakTheGlassOpposition));

    [Test]
    public void Deny_without_actor_for_ETREAT_is_an_opposition_to_regulation() =>
        Assert.That(Single(Consents.Opposition(DmpCodes.Regulation)).Kind, Is.EqualTo(ConsentDirectiveKind.RegulationOpposition));

    [Test]
    public void Deny_without_actor_for_both_purposes_opposes_both()
    {
        var consent = Consents.Opposition(DmpCodes.BreakTheGlass);
        consent.Provision!.Purpose.Add(new Coding(DmpCodes.ActReasonSystem, DmpCodes.Regulation));

        Assert.That(ConsentDirectives.Read(consent).Directives.Select(d => d.Kind),
            Is.EquivalentTo(new[] { ConsentDirectiveKind.BreakTheGlassOpposition, ConsentDirectiveKind.RegulationOpposition }));
    }

    [Test]
    public void Deny_without_actor_nor_emergency_purpose_is_ignored() =>
        Assert.That(IgnoredBecause(Consents.Opposition(DmpCodes.Treatment)), Does.Contain("BTG or ETREAT"));

    // Patient: closed record and médecins traitants.

    [Test]
    public void Patient_active_false_is_a_closed_record() => Assert.That(new RecordBuilder().Closed().Build().IsClosed, Is.True);

    [Test]
    public void Patient_without_active_is_an_open_record() => Assert.That(new RecordBuilder().Build().IsClosed, Is.False);

    [Test]
    public void Several_treating_doctors_are_read_from_generalPractitioner() =>
        Assert.That(new RecordBuilder().WithTreatingDoctor(DoctorId).WithTreatingDoctor(OtherId).Build().TreatingDoctors,
            Is.EquivalentTo(new[] { DoctorId, OtherId }));

    [Test]
    public void General_practitioner_without_idNatPs_is_ignored_with_a_reason()
    {
        var patient = new Patient
        {
            Identifier = [new Identifier(Ins.NirSystem, RecordIns)],
            GeneralPractitioner = [new ResourceReference("Practitioner/123"), new ResourceReference { Identifier = new Identifier(DmpCodes.IdNatPsSystem, DoctorId) }],
        };

        var record = RecordDirectives.Read(patient, []);

        Assert.That(record.TreatingDoctors, Is.EquivalentTo(new[] { DoctorId }));
        Assert.That(record.Ignored.Single().Source, Is.EqualTo("Patient.generalPractitioner[0]"));
    }

    [Test]
    public void Record_keeps_what_it_ignored_and_applies_the_rest()
    {
        var record = new RecordBuilder().Permitting(DoctorId).With(Consents.Permit(OtherId).Revoked()).Build();

        Assert.That(record.Directives.Single().IdNatPs, Is.EqualTo(DoctorId));
        Assert.That(record.Ignored.Single().Reason, Does.Contain("inactive"));
    }
}
