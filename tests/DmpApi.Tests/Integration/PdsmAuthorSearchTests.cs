using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// PDSm's chained author parameters (ANS IG input/fsh/SearchParameter/PDSm-DocumentReference-PractitionerRoleAsAuthor.fsh,
/// PDSm-List-PractitionerRoleAsSource.fsh, PDSm-List-PatientAsSource.fsh, PDSm-PractitionerRole-partOf.fsh, -given-ex.fsh,
/// -family-ex.fsh) over the author as PDSm's examples carry it: a contained PractitionerRole
/// (ExempleComprehensiveProvideDocumentBundleReplace.fsh, `author = #auteur`, identifier https://rpps.esante.gouv.fr).
/// </summary>
public sealed class PdsmAuthorSearchTests(TestStore store) : StoreFixture(store)
{
    private const string Rpps = "https://rpps.esante.gouv.fr";
    private const string Annuaire = "https://apifhir.annuaire.sante.fr/ws-sync/exposed/structuredefinition/";

    /// <summary>
    /// The author `#auteur`, a situation of practice part of `#exercice` (practitionerRole-partOf), whose professional is
    /// `#pro` and who practises under a name of their own (practitionerRole-name); the authenticator is contained too.
    /// </summary>
    private static DocumentReference AuthoredBy(Patient patient, string rpps, string family, string given, string practisingFamily, string authenticatorFamily)
    {
        var document = DocumentBuilder.For(patient).Build();
        var author = new PractitionerRole { Id = "auteur", Identifier = [new Identifier(Rpps, rpps)] };
        author.Extension.Add(new Extension(Annuaire + "practitionerRole-partOf", new ResourceReference("#exercice")));
        author.Extension.Add(new Extension(Annuaire + "practitionerRole-name", new HumanName { Family = practisingFamily, Given = ["Dr"] }));
        document.Contained.Add(author);
        document.Contained.Add(new PractitionerRole { Id = "exercice", Practitioner = new ResourceReference("#pro") });
        document.Contained.Add(new Practitioner { Id = "pro", Identifier = [new Identifier(Rpps, rpps + "-pp")], Name = [new HumanName { Family = family, Given = [given] }] });
        document.Contained.Add(new Practitioner { Id = "signataire", Name = [new HumanName { Family = authenticatorFamily, Given = ["Paul"] }] });
        document.Author.Add(new ResourceReference("#auteur"));
        document.Authenticator = new ResourceReference("#signataire");
        return document;
    }

    private async Task<string[]> FindAsync(Patient patient, string criteria) =>
        (await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&{criteria}")).MatchIds();

    [Test]
    public async Task Documents_are_found_by_their_contained_practitioner_role_author()
    {
        var patient = await CreatePatientAsync();
        var martin = await Fhir.CreatedAsync(AuthoredBy(patient, "1011848351", "MARTIN", "ALICE", "MARTIN-DURAND", "ROUX"));
        var roux = await Fhir.CreatedAsync(AuthoredBy(patient, "1022222222", "ROUX", "BERNARD", "ROUX", "MARTIN"));

        var byIdentifier = await FindAsync(patient, $"author.identifier={Rpps}|1011848351");
        var byProfessionalIdentifier = await FindAsync(patient, $"author.partOf.practitioner.identifier={Rpps}|1011848351-pp");
        var byFamily = await FindAsync(patient, "author.partOf.practitioner.family=martin");
        var byGiven = await FindAsync(patient, "author.partOf.practitioner.given=bernard");
        var byPractisingName = await FindAsync(patient, "author.partOf.family-ex:contains=durand");

        Assert.Multiple(() =>
        {
            Assert.That(byIdentifier, Is.EqualTo(new[] { martin.Id }));
            Assert.That(byProfessionalIdentifier, Is.EqualTo(new[] { martin.Id }));
            Assert.That(byFamily, Is.EqualTo(new[] { martin.Id }), "the authenticator named MARTIN on the other document is no author");
            Assert.That(byGiven, Is.EqualTo(new[] { roux.Id }));
            Assert.That(byPractisingName, Is.EqualTo(new[] { martin.Id }));
        });
    }

    [Test]
    public async Task The_FSH_chain_spelling_familyEx_finds_what_family_ex_finds()
    {
        var patient = await CreatePatientAsync();
        var martin = await Fhir.CreatedAsync(AuthoredBy(patient, "1011848351", "MARTIN", "ALICE", "MARTIN-DURAND", "ROUX"));
        await Fhir.CreatedAsync(AuthoredBy(patient, "1022222222", "ROUX", "BERNARD", "ROUX", "MARTIN"));

        // PDSm-DocumentReference-PractitionerRoleAsAuthor.fsh writes partOf.familyEx; the SearchParameter's code is family-ex.
        var byCode = await FindAsync(patient, "author.partOf.family-ex:contains=durand");
        var byFshSpelling = await FindAsync(patient, "author.partOf.familyEx:contains=durand");

        Assert.Multiple(() =>
        {
            Assert.That(byCode, Is.EqualTo(new[] { martin.Id }));
            Assert.That(byFshSpelling, Is.EqualTo(byCode));
        });
    }

    [Test]
    public async Task The_author_recorded_from_the_token_is_found_by_its_identifier()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var found = await FindAsync(patient, $"author.identifier={Systems.IdNatPs}|{Tokens.DoctorIdNatPs}");

        Assert.That(found, Is.EqualTo(new[] { document.Id }));
    }

    [Test]
    public async Task A_chain_PDSm_does_not_declare_is_refused_with_400()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.SearchAsync("DocumentReference", $"patient={patient.Id}&author.partOf.practitioner.birthdate=1970");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
    }

    [Test]
    public async Task Submission_sets_are_found_by_the_patient_or_professional_who_submitted_them()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var byPatient = FolderBuilder.For(patient, document.Id!);
        byPatient.Contained.Add(new Patient { Id = "source", Name = [new HumanName { Family = "DUPONT", Given = ["JEAN"] }] });
        byPatient.Source = new ResourceReference("#source");
        var fromPatient = await Fhir.CreatedAsync(byPatient);
        var byProfessional = FolderBuilder.For(patient, document.Id!);
        var role = new PractitionerRole { Id = "source-auteur", Practitioner = new ResourceReference("#pro") };
        byProfessional.Contained.Add(role);
        byProfessional.Contained.Add(new Practitioner { Id = "pro", Name = [new HumanName { Family = "MARTIN", Given = ["ALICE"] }] });
        byProfessional.Source = new ResourceReference("#source-auteur");
        var fromProfessional = await Fhir.CreatedAsync(byProfessional);

        var patientGiven = await Fhir.SearchBundleAsync("List", $"patient={patient.Id}&source.given=jean");
        var patientFamily = await Fhir.SearchBundleAsync("List", $"patient={patient.Id}&source.family:exact=DUPONT");
        var professional = await Fhir.SearchBundleAsync("List", $"patient={patient.Id}&source.partOf.practitioner.family=martin");

        Assert.Multiple(() =>
        {
            Assert.That(patientGiven.MatchIds(), Is.EqualTo(new[] { fromPatient.Id }));
            Assert.That(patientFamily.MatchIds(), Is.EqualTo(new[] { fromPatient.Id }));
            Assert.That(professional.MatchIds(), Is.EqualTo(new[] { fromProfessional.Id }));
        });
    }

    [Test]
    public async Task The_capability_statement_declares_the_chains_under_their_PDSm_definitions()
    {
        var statement = (await Fhir.GetAsync("fhir/metadata")).Resource<CapabilityStatement>();
        var declared = statement.Rest.Single().Resource.SelectMany(r => r.SearchParam.Select(p => ($"{r.Type}.{p.Name}", p.Definition))).ToDictionary(x => x.Item1, x => x.Definition);
        const string Pdsm = "https://interop.esante.gouv.fr/ig/fhir/pdsm/SearchParameter/";

        Assert.Multiple(() =>
        {
            Assert.That(declared["DocumentReference.author.partOf.practitioner.family"], Is.EqualTo(Pdsm + "PDSm-DocumentReference-PractitionerRoleAsAuthor"));
            Assert.That(declared["DocumentReference.author.partOf.family-ex"], Is.EqualTo(Pdsm + "PDSm-PractitionerRole-family-ex"));
            Assert.That(declared["List.source.given"], Is.EqualTo(Pdsm + "PDSm-List-PatientAsSource"));
            Assert.That(declared["List.source.partOf.practitioner.given"], Is.EqualTo(Pdsm + "PDSm-List-PractitionerRoleAsSource"));
        });
    }
}
