using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// Issue 12: `DocumentReference?patient=…` alone is judged in memory from one compiled statement (SearchEngine's
/// RecordDocuments), any other search by the SQL predicates. Both must give the same answers: a search that adds
/// `_total=accurate` takes the SQL path, so each test compares the two, and each against the rule's expected documents.
/// The first search of a record decides it; the second takes the cached decision; both are compared.
/// </summary>
public sealed class RecordDocumentsSearchTests(TestStore store) : StoreFixture(store)
{
    private const string OtherDoctor = "810004444444";
    private const string Pharmacist = "810003333333";

    [Test]
    public async Task Each_requester_finds_by_patient_the_documents_the_sql_path_finds()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(OtherDoctor, Pharmacist);
        var asOther = Fhir.As(Tokens.Professional(OtherDoctor));
        var report = await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "11488-4"));
        var directives = await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.TypesA05, "EXPPAT_3"));
        var pending = await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "11488-4").SecurityLabel(Systems.Visibility, "INVISIBLE_PATIENT"));
        var maskedByOther = await asOther.CreatedAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "11488-4").SecurityLabel(Systems.Visibility, "MASQUE_PS").Build());
        var deleted = await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "11488-4"));
        await Fhir.DeleteAsync($"fhir/DocumentReference/{deleted.Id}");

        var expected = new (string Who, FhirHttp As, string[] Ids)[]
        {
            ("the depositor", Fhir, [report.Id!, directives.Id!, pending.Id!]),
            ("a doctor, author of a masked document", asOther, [report.Id!, directives.Id!, pending.Id!, maskedByOther.Id!]),
            ("a pharmacist", Fhir.As(Tokens.Professional(Pharmacist, profession: "21")), [report.Id!, pending.Id!]),
            ("the patient", asPatient, [report.Id!, directives.Id!, maskedByOther.Id!]),
        };
        foreach (var (who, requester, ids) in expected)
        {
            var sql = (await requester.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_total=accurate")).MatchIds();
            var deciding = (await requester.SearchBundleAsync("DocumentReference", $"patient={patient.Id}")).MatchIds();
            var cached = (await requester.SearchBundleAsync("DocumentReference", $"patient=Patient/{patient.Id}")).MatchIds();

            Assert.Multiple(() =>
            {
                Assert.That(sql, Is.EquivalentTo(ids), $"{who}: the SQL path");
                Assert.That(deciding, Is.EqualTo(sql), $"{who}: in memory, deciding");
                Assert.That(cached, Is.EqualTo(sql), $"{who}: in memory, the decision cached");
            });
        }
    }

    [Test]
    public async Task Pages_of_a_record_with_hidden_documents_are_the_pages_of_the_sql_path()
    {
        var (patient, _, _) = await RecordPermittingAsync(Pharmacist);
        var pharmacist = Fhir.As(Tokens.Professional(Pharmacist, profession: "21"));
        var visible = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            visible.Add((await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "11488-4"))).Id!);
            await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.TypesA05, "EXPPAT_3"));
        }

        var inMemory = await PagesAsync(pharmacist, $"patient={patient.Id}&_count=2");
        var sql = await PagesAsync(pharmacist, $"patient={patient.Id}&_count=2&_total=accurate");

        Assert.Multiple(() =>
        {
            Assert.That(inMemory.SelectMany(p => p), Is.EqualTo(visible), "in order, each once");
            Assert.That(inMemory.Select(p => p.Length), Is.EqualTo(new[] { 2, 2, 2, 1 }));
            Assert.That(inMemory, Is.EqualTo(sql));
        });
    }

    [Test]
    public async Task A_document_masked_after_a_search_is_absent_from_the_next_one()
    {
        var (patient, _, _) = await RecordPermittingAsync(OtherDoctor);
        var asOther = Fhir.As(Tokens.Professional(OtherDoctor));
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient).Type(Systems.Loinc, "11488-4"));
        var before = (await asOther.SearchBundleAsync("DocumentReference", $"patient={patient.Id}")).MatchIds();

        document.SecurityLabel.Add(new CodeableConcept(Systems.Visibility, "MASQUE_PS"));
        await Fhir.UpdateAsync(document);
        var after = (await asOther.SearchBundleAsync("DocumentReference", $"patient={patient.Id}")).MatchIds();

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo(new[] { document.Id }));
            Assert.That(after, Is.Empty);
        });
    }

    /// <summary>Every page's match ids, following the next links.</summary>
    private static async Task<List<string[]>> PagesAsync(FhirHttp requester, string query)
    {
        var pages = new List<string[]>();
        var bundle = await requester.SearchBundleAsync("DocumentReference", query);
        while (true)
        {
            pages.Add(bundle.MatchIds());
            if (bundle.Link.SingleOrDefault(l => l.Relation == "next")?.Url is not { } next || pages.Count > 10)
            {
                return pages;
            }

            var response = await requester.GetAsync(next);
            bundle = response.Resource<Bundle>();
        }
    }
}
