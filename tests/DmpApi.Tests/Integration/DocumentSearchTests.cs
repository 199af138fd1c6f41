using System.Net;
using DmpApi.Patients;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// Search criteria on DocumentReference (DESIGN §4 "Search", IHE MHD ITI-67; FHIR R4 §3.1.1.4). Every test makes its
/// own patient and names it in the search, so other tests' documents never show up.
/// </summary>
public sealed class DocumentSearchTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task Search_by_patient_finds_only_that_patients_documents()
    {
        var patient = await CreatePatientAsync();
        var other = await CreatePatientAsync();
        var mine = await CreateDocumentAsync(DocumentBuilder.For(patient));
        await CreateDocumentAsync(DocumentBuilder.For(other));

        var ids = await MatchIdsAsync($"patient={patient.Id}");

        Assert.That(ids, Is.EquivalentTo(new[] { mine.Id }));
    }

    [Test]
    public async Task Search_by_patient_accepts_a_typed_reference()
    {
        var patient = await CreatePatientAsync();
        var mine = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var ids = await MatchIdsAsync($"patient=Patient/{patient.Id}");

        Assert.That(ids, Is.EquivalentTo(new[] { mine.Id }));
    }

    [Test]
    public async Task Search_by_subject_finds_the_patients_documents()
    {
        var patient = await CreatePatientAsync();
        var other = await CreatePatientAsync();
        var mine = await CreateDocumentAsync(DocumentBuilder.For(patient));
        await CreateDocumentAsync(DocumentBuilder.For(other));

        var ids = await MatchIdsAsync($"subject=Patient/{patient.Id}");

        Assert.That(ids, Is.EquivalentTo(new[] { mine.Id }));
    }

    [Test]
    public async Task Search_by_patient_identifier_chains_to_the_patients_INS()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var other = await CreatePatientAsync();
        var mine = await CreateDocumentAsync(DocumentBuilder.For(patient));
        await CreateDocumentAsync(DocumentBuilder.For(other));

        var ids = await MatchIdsAsync($"patient.identifier={Uri.EscapeDataString($"{Ins.NirSystem}|{builder.Ins}")}");

        Assert.That(ids, Is.EquivalentTo(new[] { mine.Id }));
    }

    [Test]
    public async Task A_professional_search_that_names_no_patient_answers_400()
    {
        var response = await Fhir.SearchAsync("DocumentReference", "status=current");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("patient"));
    }

    [Test]
    public async Task Search_by_status_finds_documents_with_that_status()
    {
        var patient = await CreatePatientAsync();
        var current = await CreateDocumentAsync(DocumentBuilder.For(patient));
        await CreateDocumentAsync(DocumentBuilder.For(patient).Status(DocumentReferenceStatus.Superseded));

        var ids = await MatchIdsAsync($"patient={patient.Id}&status=current");

        Assert.That(ids, Is.EquivalentTo(new[] { current.Id }));
    }

    [Test]
    public async Task Search_with_not_excludes_documents_with_that_value()
    {
        var patient = await CreatePatientAsync();
        await CreateDocumentAsync(DocumentBuilder.For(patient));
        var superseded = await CreateDocumentAsync(DocumentBuilder.For(patient).Status(DocumentReferenceStatus.Superseded));
        var alsoSuperseded = await CreateDocumentAsync(DocumentBuilder.For(patient).Status(DocumentReferenceStatus.Superseded));

        var ids = await MatchIdsAsync($"patient={patient.Id}&status:not=current");

        Assert.That(ids, Is.EquivalentTo(new[] { superseded.Id, alsoSuperseded.Id }));
    }

    [TestCase("http://loinc.org|11488-4", new[] { "loinc" })]
    [TestCase("11488-4", new[] { "loinc" })]
    [TestCase("X1", new[] { "systemless", "other-system" })]
    [TestCase("|X1", new[] { "systemless" })]
    [TestCase("urn:example:types|X1", new[] { "other-system" })]
    [TestCase("http://loinc.org|", new[] { "loinc" })]
    [TestCase("http://loinc.org|X1", new string[0])]
    [TestCase("11488-4,EXPPAT_1", new[] { "loinc", "a05" })]
    public async Task Search_by_type_matches_system_and_code_as_FHIR_token_syntax_says(string type, string[] expected)
    {
        // Searched as the patient, who reads every type (DMP-RULES §2 rule 8): types outside the matrix are hidden from professionals.
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var documents = new Dictionary<string, DocumentReference>
        {
            ["loinc"] = await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "11488-4")),
            ["a05"] = await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.TypesA05, "EXPPAT_1")),
            ["systemless"] = await CreateDocumentAsync(DocumentBuilder.For(patient).Type(null, "X1")),
            ["other-system"] = await CreateDocumentAsync(DocumentBuilder.For(patient).Type("urn:example:types", "X1")),
        };

        var ids = (await Fhir.As(Tokens.Patient(builder.Ins!)).SearchBundleAsync("DocumentReference", $"type={Uri.EscapeDataString(type)}")).MatchIds();

        Assert.That(ids, Is.EquivalentTo(expected.Select(label => documents[label].Id)));
    }

    [Test]
    public async Task Search_by_category_finds_documents_of_that_class()
    {
        var patient = await CreatePatientAsync();
        var report = await CreateDocumentAsync(DocumentBuilder.For(patient).Category(Systems.ClassCodes, "10"));
        await CreateDocumentAsync(DocumentBuilder.For(patient).Category(Systems.ClassCodes, "31"));

        var ids = await MatchIdsAsync($"patient={patient.Id}&category={Uri.EscapeDataString(Systems.ClassCodes + "|10")}");

        Assert.That(ids, Is.EquivalentTo(new[] { report.Id }));
    }

    [Test]
    public async Task Search_by_security_label_finds_labelled_documents()
    {
        var patient = await CreatePatientAsync();
        var masked = await CreateDocumentAsync(DocumentBuilder.For(patient).SecurityLabel(Systems.Visibility, "MASQUE_PS"));
        await CreateDocumentAsync(DocumentBuilder.For(patient).SecurityLabel(Systems.Confidentiality, "N"));

        var ids = await MatchIdsAsync($"patient={patient.Id}&security-label={Uri.EscapeDataString(Systems.Visibility + "|MASQUE_PS")}");

        Assert.That(ids, Is.EquivalentTo(new[] { masked.Id }));
    }

    // A: 2023-12-31T23:00Z, B: 2024-03-15T10:00Z, C: 2024-03-16T08:00Z (FHIR R4 §3.1.1.4.2 prefixes over ranges).
    [TestCase("2024-03-15", "B")]
    [TestCase("eq2024-03-15", "B")]
    [TestCase("2024-03", "B,C")]
    [TestCase("2024", "B,C")]
    [TestCase("2023", "A")]
    [TestCase("ne2024-03-15", "A,C")]
    [TestCase("lt2024-03-15", "A")]
    [TestCase("le2024-03-15", "A,B")]
    [TestCase("gt2024-03-15", "C")]
    [TestCase("ge2024-03-15", "B,C")]
    [TestCase("sa2024-03-15", "C")]
    [TestCase("eb2024-03-15", "A")]
    [TestCase("lt2024", "A")]
    [TestCase("gt2023", "B,C")]
    [TestCase("ge2024-03", "B,C")]
    [TestCase("eb2024-03", "A")]
    [TestCase("2024-03-15T10:00:00Z", "B")]
    [TestCase("gt2024-03-15T09:59:59Z", "B,C")]
    [TestCase("lt2024-03-15T11:00:00+02:00", "A")]
    [TestCase("2024-03-16T09:00:00+01:00", "C")]
    public async Task Search_by_date_applies_prefixes_and_precision(string date, string expected)
    {
        var patient = await CreatePatientAsync();
        var documents = new Dictionary<string, DocumentReference>
        {
            ["A"] = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2023-12-31T23:00:00Z")),
            ["B"] = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2024-03-15T10:00:00Z")),
            ["C"] = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2024-03-16T08:00:00Z")),
        };

        var ids = await MatchIdsAsync($"patient={patient.Id}&date={Uri.EscapeDataString(date)}");

        Assert.That(ids, Is.EquivalentTo(expected.Split(',').Select(label => documents[label].Id)));
    }

    [Test]
    public async Task A_date_stored_with_an_offset_is_compared_in_UTC()
    {
        var patient = await CreatePatientAsync();
        // 23:30 at UTC-2 on the 15th is 01:30 UTC on the 16th.
        var late = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2024-03-15T23:30:00-02:00"));

        var on16th = await MatchIdsAsync($"patient={patient.Id}&date=2024-03-16");
        var on15th = await MatchIdsAsync($"patient={patient.Id}&date=2024-03-15");

        Assert.Multiple(() =>
        {
            Assert.That(on16th, Is.EquivalentTo(new[] { late.Id }));
            Assert.That(on15th, Is.Empty);
        });
    }

    [Test]
    public async Task Two_date_criteria_are_combined_with_AND()
    {
        var patient = await CreatePatientAsync();
        await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2024-01-10T10:00:00Z"));
        var february = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2024-02-10T10:00:00Z"));
        await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2024-03-10T10:00:00Z"));

        var ids = await MatchIdsAsync($"patient={patient.Id}&date=ge2024-02-01&date=lt2024-03-01");

        Assert.That(ids, Is.EquivalentTo(new[] { february.Id }));
    }

    [TestCase("2024-13-01")]
    [TestCase("2024-02-30")]
    [TestCase("yesterday")]
    [TestCase("xx2024-01-01")]
    [TestCase("15/03/2024")]
    public async Task An_invalid_date_value_answers_400(string date)
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.SearchAsync("DocumentReference", $"patient={patient.Id}&date={Uri.EscapeDataString(date)}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Outcome.Issue, Is.Not.Empty);
    }

    [TestCase("2024-01", "january")]
    [TestCase("ge2024-02-01", "february")]
    [TestCase("2024-01-15", "")]
    [TestCase("eb2024-02", "january")]
    public async Task Search_by_period_compares_the_care_period(string period, string expected)
    {
        var patient = await CreatePatientAsync();
        var documents = new Dictionary<string, DocumentReference>
        {
            ["january"] = await CreateDocumentAsync(DocumentBuilder.For(patient).Period("2024-01-10", "2024-01-20")),
            ["february"] = await CreateDocumentAsync(DocumentBuilder.For(patient).Period("2024-02-01", "2024-02-05")),
        };

        var ids = await MatchIdsAsync($"patient={patient.Id}&period={Uri.EscapeDataString(period)}");

        Assert.That(ids, Is.EquivalentTo(expected.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(label => documents[label].Id)));
    }

    [Test]
    public async Task Missing_true_finds_documents_without_the_element()
    {
        var patient = await CreatePatientAsync();
        var without = await CreateDocumentAsync(DocumentBuilder.For(patient));
        await CreateDocumentAsync(DocumentBuilder.For(patient).Period("2024-01-10", "2024-01-20"));

        var ids = await MatchIdsAsync($"patient={patient.Id}&period:missing=true");

        Assert.That(ids, Is.EquivalentTo(new[] { without.Id }));
    }

    [Test]
    public async Task Missing_false_finds_documents_with_the_element()
    {
        var patient = await CreatePatientAsync();
        await CreateDocumentAsync(DocumentBuilder.For(patient));
        var with = await CreateDocumentAsync(DocumentBuilder.For(patient).Period("2024-01-10", "2024-01-20"));

        var ids = await MatchIdsAsync($"patient={patient.Id}&period:missing=false");

        Assert.That(ids, Is.EquivalentTo(new[] { with.Id }));
    }

    [Test]
    public async Task Missing_with_a_value_other_than_true_or_false_answers_400()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.SearchAsync("DocumentReference", $"patient={patient.Id}&period:missing=maybe");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
    }

    [Test]
    public async Task An_unsupported_modifier_answers_400()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.SearchAsync("DocumentReference", $"patient={patient.Id}&status:exact=current");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
    }

    [TestCase("true", "archived")]
    [TestCase("false", "kept")]
    public async Task Search_by_isArchived_reads_the_PDSm_extension(string value, string expected)
    {
        var patient = await CreatePatientAsync();
        var documents = new Dictionary<string, DocumentReference>
        {
            ["archived"] = await CreateDocumentAsync(DocumentBuilder.For(patient).Archived(true)),
            ["kept"] = await CreateDocumentAsync(DocumentBuilder.For(patient).Archived(false)),
        };
        await CreateDocumentAsync(DocumentBuilder.For(patient));

        var ids = await MatchIdsAsync($"patient={patient.Id}&isArchived={value}");

        Assert.That(ids, Is.EquivalentTo(new[] { documents[expected].Id }));
    }

    [Test]
    public async Task Search_by_author_family_and_given_reads_the_contained_author()
    {
        var patient = await CreatePatientAsync();
        var byMartin = await CreateDocumentAsync(DocumentBuilder.For(patient).Author("Martinez", "Élodie"));
        await CreateDocumentAsync(DocumentBuilder.For(patient).Author("Bernard", "Paul"));

        var byFamily = await MatchIdsAsync($"patient={patient.Id}&author.family=martin");
        var byGiven = await MatchIdsAsync($"patient={patient.Id}&author.given=elodie");

        Assert.Multiple(() =>
        {
            Assert.That(byFamily, Is.EquivalentTo(new[] { byMartin.Id }));
            Assert.That(byGiven, Is.EquivalentTo(new[] { byMartin.Id }));
        });
    }

    [Test]
    public async Task Search_by_id_finds_that_document()
    {
        var patient = await CreatePatientAsync();
        var wanted = await CreateDocumentAsync(DocumentBuilder.For(patient));
        await CreateDocumentAsync(DocumentBuilder.For(patient));

        var ids = await MatchIdsAsync($"patient={patient.Id}&_id={wanted.Id}");

        Assert.That(ids, Is.EquivalentTo(new[] { wanted.Id }));
    }

    [Test]
    public async Task Search_by_lastUpdated_compares_meta_lastUpdated()
    {
        var patient = await CreatePatientAsync();
        var earlier = await CreateDocumentAsync(DocumentBuilder.For(patient));
        await Task.Delay(20); // the two versions must not share a millisecond
        var later = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var boundary = Uri.EscapeDataString(earlier.Meta!.LastUpdated!.Value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture));

        var after = await MatchIdsAsync($"patient={patient.Id}&_lastUpdated=gt{boundary}");
        var upTo = await MatchIdsAsync($"patient={patient.Id}&_lastUpdated=le{boundary}");

        Assert.Multiple(() =>
        {
            Assert.That(after, Is.EquivalentTo(new[] { later.Id }));
            Assert.That(upTo, Is.EquivalentTo(new[] { earlier.Id }));
        });
    }

    [Test]
    public async Task Deleted_documents_are_not_found()
    {
        var patient = await CreatePatientAsync();
        var kept = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var deleted = await CreateDocumentAsync(DocumentBuilder.For(patient));
        await Fhir.DeleteAsync($"fhir/DocumentReference/{deleted.Id}");

        var ids = await MatchIdsAsync($"patient={patient.Id}");

        Assert.That(ids, Is.EquivalentTo(new[] { kept.Id }));
    }

    [Test]
    public async Task Only_the_current_version_is_searched()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
        document.Status = DocumentReferenceStatus.Superseded;
        await Fhir.UpdateAsync(document);

        var current = await MatchIdsAsync($"patient={patient.Id}&status=current");
        var superseded = await MatchIdsAsync($"patient={patient.Id}&status=superseded");

        Assert.Multiple(() =>
        {
            Assert.That(current, Is.Empty);
            Assert.That(superseded, Is.EquivalentTo(new[] { document.Id }));
        });
    }

    [Test]
    public async Task Search_by_POST_form_gives_the_same_results_as_GET()
    {
        var patient = await CreatePatientAsync();
        var report = await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "11488-4"));
        await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "18748-4"));

        var response = await Fhir.SearchByPostAsync("DocumentReference",
            [new("patient", patient.Id!), new("type", Systems.Loinc + "|11488-4")]);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That(response.Resource<Bundle>().MatchIds(), Is.EquivalentTo(new[] { report.Id }));
    }

    [Test]
    public async Task Search_by_POST_without_a_form_body_answers_415()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.SendAsync(HttpMethod.Post, "fhir/DocumentReference/_search",
            FhirHttp.Body($"patient={patient.Id}", "text/plain"), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnsupportedMediaType), response.ToString());
    }

    private async Task<string[]> MatchIdsAsync(string query) =>
        (await Fhir.SearchBundleAsync("DocumentReference", query)).MatchIds();
}
