using DmpApi.Auth;
using Hl7.Fhir.Model;
using DmpApi.Patients;
using PatientIns = DmpApi.Patients.Ins;

namespace DmpApi.Access;

/// <summary>
/// Who may change what, per resource type (DMP-RULES §3), once the record-level decision let the requester write in
/// the record at all. Pure: each rule compares the stored version with the proposed one and answers null (allowed) or
/// the refusal's message, which tells the requester what to do instead (403).
/// </summary>
public static class ResourceWriteRules
{
    /// <summary>Who may change a Patient element: the holder alone, or any writer (the professionals' rules for generalPractitioner apart).</summary>
    public enum Owner { Holder, Anyone, Professional }

    /// <summary>
    /// The Patient's rule table (DMP-RULES §3: "the record itself belongs to its holder"): identity elements and the
    /// record's state are the holder's; everything else (telecom, address, contacts…) any authorised writer keeps up to date.
    /// </summary>
    public static readonly IReadOnlyList<(string Element, Func<Patient, IEnumerable<Base>> Read, Owner ChangedBy)> PatientElements =
    [
        ("identifier (INS)", p => p.Identifier.Where(i => i.System is not null && PatientIns.Systems.Contains(i.System)), Owner.Holder),
        ("name", p => p.Name, Owner.Holder),
        ("birthDate", p => Present(p.BirthDateElement), Owner.Holder),
        ("gender", p => Present(p.GenderElement), Owner.Holder),
        // Closing and reopening (DMP-RULES §2 rule 1, CSP L1111-18): the holder's decision, with its date and motif.
        ("active", p => Present(p.ActiveElement), Owner.Holder),
        ("closure extensions", p => p.Extension.Where(RecordClosure.IsClosure), Owner.Holder),
        // Issue 14: a minor's access mode (secret or normal) is the professionals' decision, never the representatives'.
        ("minor access mode", p => p.Extension.Where(MinorRecord.IsAccessMode), Owner.Professional),
        // Issue 15: the relatives to call in an emergency are the patient's to name; professionals read them (normal or emergency access).
        ("contact", p => p.Contact, Owner.Holder),
    ];

    /// <summary>A change of the Patient (the record itself); the patient changes anything, including generalPractitioner.</summary>
    public static string? Patient(Requester requester, Patient stored, Patient proposed)
    {
        ArgumentNullException.ThrowIfNull(requester);
        if (requester.Kind == RequesterKind.System)
        {
            return DeathRecord(requester, stored, proposed);
        }

        if (requester.ActsForHolder)
        {
            if (RecordClosure.IsClosedOnDeath(stored))
            {
                // Issue 14: a death closes the record for good; a mistaken death is corrected at its source (INSi, état civil), not by a reopening.
                return "This DMP was closed on its holder's recorded death: it is not reopened nor changed. "
                    + "A death recorded in error is corrected at its source (INSi, état civil).";
            }

            if (RecordClosure.IsClosedOnDeath(proposed))
            {
                return "A death is recorded by the death feed (INSi, état civil); close your DMP with your own motif, or none.";
            }

            return PatientElements.Any(e => e.ChangedBy == Owner.Professional && !Same(e.Read(stored), e.Read(proposed)))
                ? "A minor's record access mode (secret or normal) is set by the professional who opens it; send the Patient with it unchanged."
                : null;
        }

        foreach (var (element, read, changedBy) in PatientElements)
        {
            if (changedBy == Owner.Holder && !Same(read(stored), read(proposed)))
            {
                return element == "active"
                    ? "Only the patient closes (active = false) or reopens their DMP, from Mon espace santé."
                    : $"A professional cannot change the patient's {element}: identity comes from the INS teleservice and the patient; send the Patient with its {element} unchanged.";
            }
        }

        // DMP-RULES §3: a professional touches generalPractitioner only to add themselves, as a médecin.
        var before = stored.GeneralPractitioner.ToList();
        var after = proposed.GeneralPractitioner.ToList();
        var removed = before.Where(b => !after.Any(a => a.IsExactly(b))).ToList();
        var added = after.Where(a => !before.Any(b => b.IsExactly(a))).ToList();
        if (removed.Count > 0)
        {
            return "A professional cannot remove a médecin traitant: the patient changes their médecin traitant.";
        }

        if (added.Count == 0)
        {
            return null;
        }

        if (requester.Profession != DmpCodes.Doctor)
        {
            return "Only a médecin (profession 10) can be declared médecin traitant, with the patient's agreement.";
        }

        return added.Count == 1 && ConsentDirectives.IdNatPsOf(added[0]) == requester.IdNatPs
            ? null
            : $"A médecin may add only themselves to generalPractitioner (a reference with identifier {DmpCodes.IdNatPsSystem}|{requester.IdNatPs}); the patient declares any other.";
    }

    /// <summary>The elements a death feed sets (issue 14): the death, the closure and its extensions; every other stays as stored.</summary>
    public static readonly IReadOnlySet<string> DeathElements = new HashSet<string> { "active", "closure extensions", "deceased" };

    /// <summary>
    /// A system's change of a Patient (issue 14): with the death-record right, only recording the death of an open record's
    /// holder — deceased set, active false, the death motif — and nothing else, as <see cref="PatientElements"/> reads it.
    /// </summary>
    private static string? DeathRecord(Requester requester, Patient stored, Patient proposed)
    {
        if (!requester.RecordsDeaths)
        {
            return "This system does not record deaths (Auth:ClaimMappings:…:RecordsDeaths); it does not write Patient.";
        }

        var recordsDeath = proposed.Deceased is FhirDateTime { Value: not null } or FhirBoolean { Value: true } && proposed.Active == false
            && RecordClosure.IsClosedOnDeath(proposed);
        if (!recordsDeath)
        {
            return "A death feed records a death only: Patient.deceasedDateTime (or deceasedBoolean true), active = false and the closure motif "
                + $"{{base}}{RecordClosure.OwnMotifSystemName}|{RecordClosure.ClosedOnDeath} in extension {{base}}{RecordClosure.MotifName}.";
        }

        var changed = PatientElements.Where(e => !DeathElements.Contains(e.Element) && !Same(e.Read(stored), e.Read(proposed))).Select(e => e.Element).ToList();
        if (changed.Count == 0)
        {
            changed.AddRange(ChangedElements(WithoutDeath(stored), WithoutDeath(proposed)));
        }

        return changed.Count == 0
            ? null
            : $"A death feed changes nothing but the death and the closure; send the Patient with its {string.Join(", ", changed)} unchanged.";
    }

    /// <summary>The Patient with what a death feed sets (and the version's number and instant) removed, to compare the rest whole.</summary>
    private static Patient WithoutDeath(Patient patient)
    {
        var rest = (Patient)patient.DeepCopy();
        if (rest.Meta is { } meta)
        {
            meta.VersionId = null;
            meta.LastUpdated = null;
            rest.Meta = meta.IsExactly(new Meta()) ? null : meta;
        }

        rest.Active = null;
        rest.Deceased = null;
        rest.Extension.RemoveAll(RecordClosure.IsClosure);
        return rest;
    }

    /// <summary>The names of the top-level elements that differ between two versions (meta, address, extension…).</summary>
    private static IEnumerable<string> ChangedElements(Base before, Base after)
    {
        var b = before.EnumerateElements().ToDictionary(e => e.Key, e => e.Value);
        var a = after.EnumerateElements().ToDictionary(e => e.Key, e => e.Value);
        return b.Keys.Union(a.Keys).Where(name => !Same(Elements(b.GetValueOrDefault(name)), Elements(a.GetValueOrDefault(name))));
    }

    private static IEnumerable<Base> Elements(object? value) => value switch
    {
        Base element => [element],
        System.Collections.IEnumerable list => list.OfType<Base>(),
        _ => [],
    };

    /// <summary>
    /// A Consent written or deleted (DMP-RULES §3: "Consents belong to the patient"): the patient decides all of them; a
    /// professional records, changes, revokes or deletes only the permit naming themselves.
    /// </summary>
    /// <param name="stored">The current version, null for a creation.</param>
    /// <param name="proposed">The new version, null for a delete.</param>
    public static string? Consent(Requester requester, Consent? stored, Consent? proposed)
    {
        ArgumentNullException.ThrowIfNull(requester);
        if (requester.ActsForHolder)
        {
            return null;
        }

        if (stored is not null && !IsOwnPermit(stored, requester.IdNatPs))
        {
            return "This Consent is the patient's decision: only the patient changes, revokes or deletes it. "
                + "You may change or revoke only the permit naming you.";
        }

        return proposed is not null && !IsOwnPermit(proposed, requester.IdNatPs)
            ? "A professional may only record a permit Consent naming themselves (declaring the patient's agreement, purpose TREAT); "
                + "other consent decisions are the patient's, from Mon espace santé."
            : null;
    }

    /// <summary>
    /// A normal-care permit whose every actor is this professional (CSP R1111-46: declaring the patient's agreement). A permit
    /// for an emergency mode only (purpose BTG or ETREAT) is the patient's alone to grant: a professional neither records nor
    /// changes one.
    /// </summary>
    public static bool IsOwnPermit(Consent consent, string? idNatPs) =>
        idNatPs is { Length: > 0 } && consent.Provision is { Type: Hl7.Fhir.Model.Consent.ConsentProvisionType.Permit } provision
        && provision.Actor.Count > 0 && provision.Actor.All(a => ConsentDirectives.IdNatPsOf(a?.Reference) == idNatPs)
        && provision.Purpose.All(p => p.Code == DmpCodes.Treatment);

    /// <summary>
    /// 422 unless the Consent is one of DMP-RULES §5 shapes, whatever its status (a revoked one keeps its shape), with one
    /// professional at most: a Consent the server cannot interpret would grant or lift nothing the patient can see.
    /// </summary>
    public static string? ConsentShapeProblem(Consent consent)
    {
        ArgumentNullException.ThrowIfNull(consent);
        if (consent.Status is not (Hl7.Fhir.Model.Consent.ConsentState.Active or Hl7.Fhir.Model.Consent.ConsentState.Inactive))
        {
            return "A DMP Consent is active, or inactive once revoked (DMP-RULES §5).";
        }

        if (consent.Provision?.Actor.Count > 1)
        {
            return "A DMP Consent names one professional: record one Consent per professional (DMP-RULES §5).";
        }

        var asActive = (Consent)consent.DeepCopy();
        asActive.Status = Hl7.Fhir.Model.Consent.ConsentState.Active;
        var reading = ConsentDirectives.Read(asActive);
        if (reading.Ignored.Count > 0)
        {
            return "This Consent is not one of the DMP shapes (DMP-RULES §5): " + string.Join(" ", reading.Ignored.Select(i => i.Reason));
        }

        return reading.Directives.Count == 0 ? "This Consent decides nothing the DMP applies (DMP-RULES §5)." : null;
    }

    /// <summary>Who besides the patient reads a Consent: the professional it names, or every authorised one (<c>*</c>) for a record-wide opposition.</summary>
    public static string? ConsentAudience(Consent consent) =>
        consent.Provision is { } provision && provision.Actor.Count == 0 ? EveryProfessional : ConsentDirectives.IdNatPsOf(consent.Provision?.Actor.FirstOrDefault()?.Reference);

    /// <summary>The <see cref="ConsentAudience"/> of a record-wide opposition (deny without actor).</summary>
    public const string EveryProfessional = "*";

    /// <summary>An allergy is changed or deleted by its recorder (from the token at its creation) or by the patient.</summary>
    public static string? Allergy(Requester requester, string? recorderIdNatPs) =>
        requester.ActsForHolder || (recorderIdNatPs is not null && recorderIdNatPs == requester.IdNatPs)
            ? null
            : "Only the professional who recorded this allergy, or the patient, may change or delete it; record a new AllergyIntolerance instead.";

    /// <summary>
    /// A legal representative recorded, changed or ended (issue 14): the holder's or the representatives' decision; a
    /// professional authorised on the record records one (opening a newborn's record with a parent present), changes none.
    /// </summary>
    public static string? RelatedPerson(Requester requester, RelatedPerson? stored) =>
        requester.ActsForHolder || stored is null
            ? null
            : "A legal representative, once recorded, is changed or ended by the holder or the representatives, not by a professional.";

    /// <summary>IHE MHD Lists: the professional who submitted a List (or the patient, for a List of their record) changes or deletes it.</summary>
    public static string? List(Requester requester, string? submitterIdNatPs) =>
        requester.ActsForHolder || (submitterIdNatPs is not null && submitterIdNatPs == requester.IdNatPs)
            ? null
            : "Only the professional who submitted this List, or the patient, may change or delete it.";
    /// <summary>The requester as the store records a writer: a professional by idNatPs, a system by its client id, the patient as neither.</summary>
    public static DmpApi.Storage.Writer WriterOf(Requester requester) =>
        new(requester.IdNatPs, requester.Name, requester.Kind == RequesterKind.System ? requester.Subject : null);

    private static IEnumerable<Base> Present(Base? element) => element is null ? [] : [element];

    private static bool Same(IEnumerable<Base> before, IEnumerable<Base> after)
    {
        var b = before.ToList();
        var a = after.ToList();
        return a.Count == b.Count && a.Zip(b).All(pair => pair.First.IsExactly(pair.Second));
    }

    /// <summary>The permit Consent of the professional who opened the record (IHE PCF shape, DMP-RULES §5).</summary>
    public static Hl7.Fhir.Model.Consent OpeningPermit(string patientId, string idNatPs, DateTime now) => new Consent
    {
        Status = Hl7.Fhir.Model.Consent.ConsentState.Active,
        Scope = new CodeableConcept(DmpCodes.ConsentScopeSystem, DmpCodes.PatientPrivacyScope),
        Category = [new CodeableConcept("http://loinc.org", "59284-0")],
        Patient = new ResourceReference($"Patient/{patientId}"),
        DateTime = new DateTimeOffset(now).ToString("yyyy-MM-ddTHH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture),
        // ppc-1 (FHIR R4 Consent): a policy or a policyRule, so that the permit conforms when a client writes it back.
        PolicyRule = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN"),
        Provision = new Hl7.Fhir.Model.Consent.provisionComponent
        {
            Type = Hl7.Fhir.Model.Consent.ConsentProvisionType.Permit,
            Actor =
            [
                new Hl7.Fhir.Model.Consent.provisionActorComponent
                {
                    Role = new CodeableConcept(DmpCodes.ParticipationTypeSystem, DmpCodes.InformationRecipient),
                    Reference = new ResourceReference { Identifier = new Identifier(DmpCodes.IdNatPsSystem, idNatPs) },
                },
            ],
            Purpose = [new Coding(DmpCodes.ActReasonSystem, DmpCodes.Treatment)],
        },
    };
}
