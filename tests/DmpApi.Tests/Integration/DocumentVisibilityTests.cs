using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// Which documents of a readable record each requester sees (DMP-RULES §2 rules 5–8), through every door: search,
/// count, read by id, content. Hidden and absent look the same.
/// </summary>
public sealed class DocumentVisibilityTests(TestStore store) : StoreFixture(store)
{
    private const string Pharmacist = "810003333333";
    private const string OtherDoctor = "810004444444";
    private const string Tre07 = "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument";

    [Test]
    public async Task Pharmacist_cannot_see_advance_directives_in_search_count_read_or_content()
    {
        var (patient, _, _) = await RecordPermittingAsync(Pharmacist);
        var directives = await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.TypesA05, "EXPPAT_3").Content([1, 2, 3]));
        var report = await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "11488-4"));
        var pharmacist = Fhir.As(Tokens.Professional(Pharmacist, profession: "21"));

        var search = await pharmacist.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_total=accurate");
        var count = await pharmacist.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_summary=count");
        var read = await pharmacist.GetAsync($"fhir/DocumentReference/{directives.Id}");
        var content = await pharmacist.GetAsync(directives.Content.Single().Attachment.Url!);

        Assert.Multiple(() =>
        {
            Assert.That(search.MatchIds(), Is.EquivalentTo(new[] { report.Id }));
            Assert.That(search.Total, Is.EqualTo(1));
            Assert.That(count.Total, Is.EqualTo(1));
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.NotFound), read.ToString());
            Assert.That(content.Status, Is.EqualTo(HttpStatusCode.NotFound), content.ToString());
        });
    }

    [Test]
    public async Task Doctor_sees_advance_directives()
    {
        var (patient, _, _) = await RecordPermittingAsync(OtherDoctor);
        var directives = await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.TypesA05, "EXPPAT_3"));

        var read = await Fhir.As(Tokens.Professional(OtherDoctor)).GetAsync($"fhir/DocumentReference/{directives.Id}");

        Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK), read.ToString());
    }

    [Test]
    public async Task A_masked_document_is_hidden_from_a_permitted_professional_but_not_from_its_author_or_the_patient()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(OtherDoctor);
        var masked = await CreateDocumentAsync(DocumentBuilder.For(patient).SecurityLabel(Tre07, "MASQUE_PS"));

        var other = await Fhir.As(Tokens.Professional(OtherDoctor)).GetAsync($"fhir/DocumentReference/{masked.Id}");
        var otherSearch = await Fhir.As(Tokens.Professional(OtherDoctor)).SearchBundleAsync("DocumentReference", $"patient={patient.Id}");
        var author = await Fhir.GetAsync($"fhir/DocumentReference/{masked.Id}");
        var own = await asPatient.GetAsync($"fhir/DocumentReference/{masked.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(other.Status, Is.EqualTo(HttpStatusCode.NotFound), other.ToString());
            Assert.That(otherSearch.MatchIds(), Is.Empty);
            Assert.That(author.Status, Is.EqualTo(HttpStatusCode.OK), author.ToString());
            Assert.That(own.Status, Is.EqualTo(HttpStatusCode.OK), own.ToString());
        });
    }

    [Test]
    public async Task A_masked_document_stays_hidden_when_breaking_the_glass()
    {
        var patient = await CreatePatientAsync();
        var masked = await CreateDocumentAsync(DocumentBuilder.For(patient).SecurityLabel(Tre07, "MASQUE_PS"));

        var read = await Fhir.As(Tokens.ProfessionalFor("BTG", OtherDoctor)).GetAsync($"fhir/DocumentReference/{masked.Id}");

        Assert.That(read.Status, Is.EqualTo(HttpStatusCode.NotFound), read.ToString());
    }

    [Test]
    public async Task The_treating_doctor_sees_a_masked_document()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        patient.GeneralPractitioner.Add(new ResourceReference { Identifier = new Identifier(Systems.IdNatPs, OtherDoctor) });
        await Fhir.As(Tokens.Patient(builder.Ins!)).UpdateAsync(patient);
        var masked = await CreateDocumentAsync(DocumentBuilder.For(patient).SecurityLabel(Tre07, "MASQUE_PS"));

        var read = await Fhir.As(Tokens.Professional(OtherDoctor)).GetAsync($"fhir/DocumentReference/{masked.Id}");

        Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK), read.ToString());
    }

    [Test]
    public async Task A_document_invisible_to_the_patient_is_hidden_from_them_but_not_from_professionals()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();
        var pending = await CreateDocumentAsync(DocumentBuilder.For(patient).SecurityLabel(Tre07, "INVISIBLE_PATIENT"));

        var own = await asPatient.GetAsync($"fhir/DocumentReference/{pending.Id}");
        var ownSearch = await asPatient.SearchBundleAsync("DocumentReference", "_summary=count");
        var professional = await Fhir.GetAsync($"fhir/DocumentReference/{pending.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(own.Status, Is.EqualTo(HttpStatusCode.NotFound), own.ToString());
            Assert.That(ownSearch.Total, Is.Zero);
            Assert.That(professional.Status, Is.EqualTo(HttpStatusCode.OK), professional.ToString());
        });
    }

    [Test]
    public async Task Unmasking_a_document_makes_it_visible_on_the_next_request()
    {
        var (patient, _, _) = await RecordPermittingAsync(OtherDoctor);
        var masked = await CreateDocumentAsync(DocumentBuilder.For(patient).SecurityLabel(Tre07, "MASQUE_PS"));
        var asOther = Fhir.As(Tokens.Professional(OtherDoctor));
        Assert.That((await asOther.GetAsync($"fhir/DocumentReference/{masked.Id}")).Status, Is.EqualTo(HttpStatusCode.NotFound));

        masked.SecurityLabel.Clear();
        await Fhir.UpdateAsync(masked);

        Assert.That((await asOther.GetAsync($"fhir/DocumentReference/{masked.Id}")).Status, Is.EqualTo(HttpStatusCode.OK));
    }
}
