using DmpApi.Access;
using DmpApi.Auth;
using Hl7.Fhir.Model;
using static DmpApi.Tests.Access.Requesters;

namespace DmpApi.Tests.Access;

/// <summary>DMP-RULES §2 rules 5–8: which documents of a record an allowed requester sees.</summary>
public sealed class DocumentVisibilityTests
{
    private static readonly DocumentVisibility Visibility = new(HabilitationMatrix.Load(new AccessOptions().HabilitationsPath));

    private static bool Sees(Requester requester, RecordBuilder record, DocumentBuilder document, DateTimeOffset? now = null)
    {
        var at = now ?? At.Now;
        var decision = RecordAccessRules.Decide(requester, record.Build(), at);
        Assert.That(decision.IsAllowed, Is.True, decision.ToString());
        var facts = document.Build();
        var sees = Visibility.CanSee(requester, decision, facts, at);
        Assert.That(Visibility.FilterFor(requester, decision, at).Matches(facts), Is.EqualTo(sees), "the store's filter agrees with CanSee");
        return sees;
    }

    private static RecordBuilder Permitting(string idNatPs) => new RecordBuilder().Permitting(idNatPs);

    // Rule 5: the matrix.

    [Test]
    public void Pharmacist_does_not_see_advance_directives_even_when_authorised() =>
        Assert.That(Sees(Pharmacist(), Permitting(PharmacistId), DocumentBuilder.TreA05("EXPPAT_3")), Is.False);

    [Test]
    public void Pharmacist_does_not_see_advance_directives_when_breaking_the_glass() =>
        Assert.That(Sees(Pharmacist(purpose: DmpCodes.BreakTheGlass), new RecordBuilder(), DocumentBuilder.TreA05("EXPPAT_3")), Is.False);

    [Test]
    public void Permitted_doctor_sees_a_consultation_report() =>
        Assert.That(Sees(Doctor(), Permitting(DoctorId), DocumentBuilder.Loinc("11488-4")), Is.True);

    [Test]
    public void Doctor_does_not_see_a_document_of_unknown_type() =>
        Assert.That(Sees(Doctor(), Permitting(DoctorId), new DocumentBuilder().OfType("urn:other", "X")), Is.False);

    [Test]
    public void Unknown_profession_sees_no_document() =>
        Assert.That(Sees(Professional(OtherId, "99", DmpCodes.BreakTheGlass), new RecordBuilder(), DocumentBuilder.Loinc("11488-4").AuthoredBy(DoctorId)), Is.False);

    [Test]
    public void Author_sees_their_own_deposit_of_a_type_their_profession_does_not_read() =>
        Assert.That(Sees(Pharmacist(), Permitting(PharmacistId), DocumentBuilder.TreA05("EXPPAT_3").AuthoredBy(PharmacistId)), Is.True);

    // Rule 6: MASQUE_PS.

    [Test]
    public void Masked_document_is_hidden_from_a_permitted_professional() =>
        Assert.That(Sees(Doctor(), Permitting(DoctorId), DocumentBuilder.Loinc("11488-4").Masked()), Is.False);

    [Test]
    public void Treating_doctor_sees_a_masked_document() =>
        Assert.That(Sees(Doctor(), new RecordBuilder().WithTreatingDoctor(DoctorId), DocumentBuilder.Loinc("11488-4").Masked()), Is.True);

    [Test]
    public void Treating_doctor_with_a_permit_too_sees_a_masked_document() =>
        Assert.That(Sees(Doctor(), Permitting(DoctorId).WithTreatingDoctor(DoctorId), DocumentBuilder.Loinc("11488-4").Masked()), Is.True);

    [Test]
    public void Author_sees_their_masked_document() =>
        Assert.That(Sees(Pharmacist(), Permitting(PharmacistId), DocumentBuilder.Loinc("60593-1").Masked().AuthoredBy(PharmacistId)), Is.True);

    [Test]
    public void Author_of_another_masked_document_does_not_see_this_one() =>
        Assert.That(Sees(Pharmacist(), Permitting(PharmacistId), DocumentBuilder.Loinc("60593-1").Masked().AuthoredBy(OtherId)), Is.False);

    [Test]
    public void Masked_document_without_recorded_author_is_hidden_from_professionals() =>
        Assert.That(Sees(Doctor(), Permitting(DoctorId), DocumentBuilder.Loinc("11488-4").Masked().AuthoredBy(null)), Is.False);

    [TestCase(DmpCodes.BreakTheGlass)]
    [TestCase(DmpCodes.Regulation)]
    public void Masked_document_is_hidden_in_emergency_mode(string purpose) =>
        Assert.That(Sees(Doctor(purpose: purpose), new RecordBuilder(), DocumentBuilder.Loinc("15507-7").Masked()), Is.False);

    [Test]
    public void Treating_doctor_breaking_the_glass_still_sees_a_masked_document() =>
        Assert.That(Sees(Doctor(purpose: DmpCodes.BreakTheGlass), new RecordBuilder().WithTreatingDoctor(DoctorId), DocumentBuilder.Loinc("11488-4").Masked()), Is.True);

    [Test]
    public void Patient_sees_their_masked_document() =>
        Assert.That(Sees(Patient(), new RecordBuilder(), DocumentBuilder.Loinc("11488-4").Masked()), Is.True);

    // Rule 7: INVISIBLE_PATIENT.

    [Test]
    public void Patient_does_not_see_an_invisible_document_before_one_month() =>
        Assert.That(Sees(Patient(), new RecordBuilder(), DocumentBuilder.Loinc("11502-2").InvisibleToPatient().DepositedAt(At.Now.AddDays(-20))), Is.False);

    [Test]
    public void Patient_sees_an_invisible_document_one_month_after_deposit()
    {
        var document = DocumentBuilder.Loinc("11502-2").InvisibleToPatient().DepositedAt(At.Now.AddMonths(-1));

        Assert.That(Sees(Patient(), new RecordBuilder(), document), Is.True);
        Assert.That(Sees(Patient(), new RecordBuilder(), document, At.Now.AddSeconds(-1)), Is.False);
    }

    [Test]
    public void Patient_sees_an_invisible_document_once_the_label_is_removed() =>
        Assert.That(Sees(Patient(), new RecordBuilder(), DocumentBuilder.Loinc("11502-2").DepositedAt(At.Now.AddDays(-2))), Is.True);

    [Test]
    public void Professional_sees_a_document_invisible_to_the_patient() =>
        Assert.That(Sees(Doctor(), Permitting(DoctorId), DocumentBuilder.Loinc("11502-2").InvisibleToPatient().DepositedAt(At.Now)), Is.True);

    [Test]
    public void Invisible_and_masked_document_is_hidden_from_the_patient_until_one_month() =>
        Assert.That(Sees(Patient(), new RecordBuilder(), DocumentBuilder.Loinc("11502-2").InvisibleToPatient().Masked().DepositedAt(At.Now.AddDays(-3))), Is.False);

    // Rule 8: the patient sees everything else in their record.

    [TestCase(DmpCodes.TreA05System, "ATTEST-RESID")]
    [TestCase(DmpCodes.TreA05System, "EXPPAT_3")]
    [TestCase("urn:other", "X")]
    public void Patient_sees_every_document_type(string system, string code) =>
        Assert.That(Sees(Patient(), new RecordBuilder(), new DocumentBuilder().OfType(system, code)), Is.True);

    [Test]
    public void Patient_sees_an_untyped_document() => Assert.That(Sees(Patient(), new RecordBuilder(), new DocumentBuilder().Untyped()), Is.True);

    [Test]
    public void Patient_sees_their_closed_records_documents() =>
        Assert.That(Sees(Patient(), new RecordBuilder().Closed(), DocumentBuilder.Loinc("11488-4")), Is.True);

    // Denied decisions and the filter handed to the store.

    [Test]
    public void Denied_decision_sees_no_document()
    {
        var decision = RecordAccessRules.Decide(Doctor(), new RecordBuilder().Build(), At.Now);

        Assert.That(Visibility.CanSee(Doctor(), decision, DocumentBuilder.Loinc("11488-4").Build(), At.Now), Is.False);
        Assert.That(Visibility.FilterFor(Doctor(), decision, At.Now), Is.SameAs(DocumentFilter.Nothing));
    }

    [Test]
    public void Decision_of_a_patient_does_not_open_documents_to_a_professional() =>
        Assert.That(Visibility.FilterFor(Doctor(), AccessDecision.Allow(AccessMode.Patient), At.Now), Is.SameAs(DocumentFilter.Nothing));

    [Test]
    public void Filter_for_the_patient_hides_invisible_documents_deposited_in_the_last_month()
    {
        var filter = Visibility.FilterFor(Patient(), AccessDecision.Allow(AccessMode.Patient), At.Now);

        Assert.That(filter, Is.EqualTo(new DocumentFilter(DocumentTypeFilter.Any, true, null, new DateTimeOffset(2026, 10, 23, 10, 0, 0, TimeSpan.Zero))));
    }

    [Test]
    public void Filter_for_a_permitted_pharmacist_names_their_row_and_them_as_masked_author()
    {
        var filter = Visibility.FilterFor(Pharmacist(), AccessDecision.Allow(AccessMode.Permit), At.Now);

        Assert.That(filter.Types.Scope, Is.EqualTo(DocumentTypeScope.AllExcept));
        Assert.That(filter.Types.Types, Does.Contain(new QualifiedCode(DmpCodes.TreA05System, "EXPPAT_3")));
        Assert.That(filter.SeesMaskedDocuments, Is.False);
        Assert.That(filter.Author, Is.EqualTo(PharmacistId));
        Assert.That(filter.InvisibleToPatientHiddenAfter, Is.Null);
    }

    [Test]
    public void Filter_for_a_treating_doctor_sees_masked_documents() =>
        Assert.That(Visibility.FilterFor(Doctor(), AccessDecision.Allow(AccessMode.TreatingDoctor), At.Now).SeesMaskedDocuments, Is.True);

    // DocumentFacts.From.

    [Test]
    public void Facts_are_read_from_the_document_and_the_recorded_author()
    {
        var document = new DocumentReference
        {
            Type = new CodeableConcept(DmpCodes.LoincSystem, "11488-4"),
            SecurityLabel =
            [
                new CodeableConcept(DmpCodes.TreA07System, "MASQUE_PS"),
                new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "N"),
            ],
            Author = [new ResourceReference { Identifier = new Identifier(DmpCodes.IdNatPsSystem, OtherId) }],
        };

        var facts = DocumentFacts.From(document, DoctorId, At.Now);

        Assert.That(facts.Types, Is.EqualTo(new[] { new QualifiedCode(DmpCodes.LoincSystem, "11488-4") }));
        Assert.That(facts.IsMasked, Is.True);
        Assert.That(facts.IsInvisibleToPatient, Is.False);
        Assert.That(facts.AuthorIdNatPs, Is.EqualTo(DoctorId), "the author is the depositor recorded by the server, not the body's author");
        Assert.That(facts.Deposited, Is.EqualTo(At.Now));
    }

    [Test]
    public void Label_of_another_system_is_not_a_visibility_label() =>
        Assert.That(new DocumentBuilder().Build() with { SecurityLabels = new HashSet<QualifiedCode> { new("urn:other", "MASQUE_PS") } },
            Has.Property(nameof(DocumentFacts.IsMasked)).False);
}
