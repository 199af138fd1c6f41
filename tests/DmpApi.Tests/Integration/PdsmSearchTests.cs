using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// The search parameters PDSm adds to IHE MHD ITI-66 and ITI-67 (ANS IG input/fsh/SearchParameter/*.fsh,
/// input/pagecontent/st_recherche_lot.md), and their definitions in the CapabilityStatement.
/// </summary>
public sealed class PdsmSearchTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task Documents_are_found_by_the_start_and_end_of_the_act_they_report()
    {
        var patient = await CreatePatientAsync();
        var march = await CreateDocumentAsync(DocumentBuilder.For(patient).Period("2026-03-01", "2026-03-05"));
        var june = await CreateDocumentAsync(DocumentBuilder.For(patient).Period("2026-06-01", "2026-06-10"));

        var startedInSpring = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&period-start=ge2026-04-01");
        var endedBeforeApril = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&period-end=lt2026-04-01");

        Assert.Multiple(() =>
        {
            Assert.That(startedInSpring.MatchIds(), Is.EqualTo(new[] { june.Id }));
            Assert.That(endedBeforeApril.MatchIds(), Is.EqualTo(new[] { march.Id }));
        });
    }

    [Test]
    public async Task Documents_are_found_by_when_the_document_itself_was_created()
    {
        var patient = await CreatePatientAsync();
        var early = DocumentBuilder.For(patient).Build();
        early.Content[0].Attachment.Creation = "2025-01-10T08:00:00+01:00";
        var late = DocumentBuilder.For(patient).Build();
        late.Content[0].Attachment.Creation = "2026-09-10T08:00:00+01:00";
        await Fhir.CreatedAsync(early);
        var lateId = (await Fhir.CreatedAsync(late)).Id;

        var created2026 = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&creation=ge2026-01-01");

        Assert.That(created2026.MatchIds(), Is.EqualTo(new[] { lateId }));
    }

    [Test]
    public async Task Lists_are_found_by_designation_type_and_archive_flag()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var centre = FolderBuilder.For(patient, document.Id!);
        centre.Extension.Add(new Extension("https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType",
            new CodeableConcept("https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite", "SA05")));
        centre.Extension.Add(new Extension("https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-archived", new FhirBoolean(true)));
        var filed = await Fhir.CreatedAsync(centre);
        await Fhir.CreatedAsync(FolderBuilder.For(patient, document.Id!));

        var bySector = await Fhir.SearchBundleAsync("List", $"patient={patient.Id}&designationType=SA05");
        var archived = await Fhir.SearchBundleAsync("List", $"patient={patient.Id}&isArchived=true");

        Assert.Multiple(() =>
        {
            Assert.That(bySector.MatchIds(), Is.EqualTo(new[] { filed.Id }));
            Assert.That(archived.MatchIds(), Is.EqualTo(new[] { filed.Id }));
        });
    }

    [Test]
    public async Task The_capability_statement_declares_the_pdsm_parameters_by_their_canonical_url()
    {
        var statement = (await Fhir.GetAsync("fhir/metadata")).Resource<CapabilityStatement>();
        var definitions = statement.Rest.Single().Resource.SelectMany(r => r.SearchParam.Select(p => (r.Type, p.Name, p.Definition))).ToList();

        Assert.That(definitions, Is.SupersetOf(new[]
        {
            ("DocumentReference", "period-start", "https://interop.esante.gouv.fr/ig/fhir/pdsm/SearchParameter/PDSm-DocumentReference-period-start"),
            ("DocumentReference", "period-end", "https://interop.esante.gouv.fr/ig/fhir/pdsm/SearchParameter/PDSm-DocumentReference-period-end"),
            ("DocumentReference", "patient", "https://interop.esante.gouv.fr/ig/fhir/pdsm/SearchParameter/PDSm-DocumentReference-PatientAsSubject"),
            ("DocumentReference", "author", "https://interop.esante.gouv.fr/ig/fhir/pdsm/SearchParameter/PDSm-DocumentReference-PractitionerRoleAsAuthor"),
            ("List", "patient", "https://interop.esante.gouv.fr/ig/fhir/pdsm/SearchParameter/PDSm-List-PatientAsSubject"),
            ("List", "authorOrg", "https://interop.esante.gouv.fr/ig/fhir/pdsm/SearchParameter/PDSm-List-authorOrg"),
            ("List", "isArchived", "https://interop.esante.gouv.fr/ig/fhir/pdsm/SearchParameter/PDSm-isArchived"),
        }));
    }
}
