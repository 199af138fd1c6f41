using DmpApi.Access;
using DmpApi.Auth;
using DmpApi.Patients;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Access;

/// <summary>Fixed instants and identities shared by the access rule tests.</summary>
internal static class At
{
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
}

/// <summary>Requesters as the token builds them (DESIGN §3).</summary>
internal static class Requesters
{
    public const string DoctorId = "810000000001";
    public const string PharmacistId = "810000000021";
    public const string OtherId = "810000000099";
    public static readonly string RecordIns = Ins.WithKey("2550814168025");
    public static readonly string OtherIns = Ins.WithKey("1840275123456");

    public static Requester Doctor(string idNatPs = DoctorId, string purpose = DmpCodes.Treatment) => Professional(idNatPs, "10", purpose);

    public static Requester Pharmacist(string idNatPs = PharmacistId, string purpose = DmpCodes.Treatment) => Professional(idNatPs, "21", purpose);

    /// <summary>A professional as their identity provider describes them: a bris de glace justified, a regulator holding the regulation attribute.</summary>
    public static Requester Professional(string idNatPs, string profession, string purpose = DmpCodes.Treatment) =>
        new(RequesterKind.Professional, idNatPs, idNatPs, profession, null, "Dr Test", purpose, new HashSet<string> { "user/*.cruds" })
        {
            PurposeOfUseReason = purpose == DmpCodes.BreakTheGlass ? "Unconscious patient in the emergency room" : null,
            HasRegulationAttribute = purpose == DmpCodes.Regulation,
        };

    public static Requester Patient(string? ins = null) =>
        new(RequesterKind.Patient, "patient", null, null, ins ?? RecordIns, "Patient Test", DmpCodes.Treatment, new HashSet<string> { "patient/*.rs" });
}

/// <summary>Consents in the IHE PCF shape of DMP-RULES §5.</summary>
internal static class Consents
{
    public static Consent Permit(string idNatPs, string? start = null, string? end = null) => Base(Consent.ConsentProvisionType.Permit, p =>
    {
        p.Actor = [Actor(idNatPs)];
        p.Purpose = [new Coding(DmpCodes.ActReasonSystem, DmpCodes.Treatment)];
        p.Period = start is null && end is null ? null : new Period { Start = start, End = end };
    });

    /// <summary>A permit whose purpose is an emergency mode (BTG or ETREAT): that professional, in that mode only.</summary>
    public static Consent PermitOnlyIn(string purpose, string idNatPs, string? end = null) => Base(Consent.ConsentProvisionType.Permit, p =>
    {
        p.Actor = [Actor(idNatPs)];
        p.Purpose = [new Coding(DmpCodes.ActReasonSystem, purpose)];
        p.Period = end is null ? null : new Period { End = end };
    });

    public static Consent Block(string idNatPs) => Base(Consent.ConsentProvisionType.Deny, p => p.Actor = [Actor(idNatPs)]);

    public static Consent Opposition(string purpose) =>
        Base(Consent.ConsentProvisionType.Deny, p => p.Purpose = [new Coding(DmpCodes.ActReasonSystem, purpose)]);

    public static Consent.provisionActorComponent Actor(string idNatPs) => new()
    {
        Role = new CodeableConcept(DmpCodes.ParticipationTypeSystem, DmpCodes.InformationRecipient),
        Reference = new ResourceReference { Identifier = new Identifier(DmpCodes.IdNatPsSystem, idNatPs) },
    };

    public static Consent Revoked(this Consent consent)
    {
        consent.Status = Consent.ConsentState.Inactive;
        return consent;
    }

    private static Consent Base(Consent.ConsentProvisionType type, Action<Consent.provisionComponent> provision)
    {
        var consent = new Consent
        {
            Id = Guid.NewGuid().ToString("N"),
            Status = Consent.ConsentState.Active,
            Scope = new CodeableConcept(DmpCodes.ConsentScopeSystem, DmpCodes.PatientPrivacyScope),
            Category = [new CodeableConcept(DmpCodes.LoincSystem, "59284-0")],
            Patient = new ResourceReference { Identifier = new Identifier(Ins.NirSystem, Requesters.RecordIns) },
            DateTime = "2026-11-01T09:00:00+01:00",
            Provision = new Consent.provisionComponent { Type = type },
        };
        provision(consent.Provision);
        return consent;
    }
}

/// <summary>A record: its Patient and its Consents, read into <see cref="RecordDirectives"/>.</summary>
internal sealed class RecordBuilder
{
    private readonly Patient patient = new()
    {
        Id = "p1",
        Identifier = [new Identifier(Ins.NirSystem, Requesters.RecordIns)],
    };

    private readonly List<Consent> consents = [];

    public RecordBuilder Closed()
    {
        patient.Active = false;
        return this;
    }

    public RecordBuilder WithTreatingDoctor(string idNatPs)
    {
        patient.GeneralPractitioner.Add(new ResourceReference { Identifier = new Identifier(DmpCodes.IdNatPsSystem, idNatPs) });
        return this;
    }

    public RecordBuilder With(Consent consent)
    {
        consents.Add(consent);
        return this;
    }

    public RecordBuilder Permitting(string idNatPs, string? start = null, string? end = null) => With(Consents.Permit(idNatPs, start, end));

    public RecordBuilder Blocking(string idNatPs) => With(Consents.Block(idNatPs));

    public RecordBuilder PermittingOnlyIn(string purpose, string idNatPs, string? end = null) => With(Consents.PermitOnlyIn(purpose, idNatPs, end));

    public RecordBuilder OpposingBreakTheGlass() => With(Consents.Opposition(DmpCodes.BreakTheGlass));

    public RecordBuilder OpposingRegulation() => With(Consents.Opposition(DmpCodes.Regulation));

    public RecordDirectives Build() => RecordDirectives.Read(patient, consents);
}
