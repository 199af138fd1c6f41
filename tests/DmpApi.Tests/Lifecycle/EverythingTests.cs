using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Lifecycle;

/// <summary>`GET Patient/{id}/$everything` (issue 14): the patient's export, under the same rules as a search.</summary>
public sealed class EverythingTests(TestStore store) : StoreFixture(store)
{
    private const string Pharmacist = "810009100001";
    private const string Stranger = "810009100002";

    private static string Everything(Patient patient, string query = "") => $"fhir/Patient/{patient.Id}/$everything{(query.Length > 0 ? "?" + query : string.Empty)}";

    /// <summary>Follows the next links from the first page; every page as it came.</summary>
    private static async Task<List<Bundle>> AllPagesAsync(FhirHttp client, string first)
    {
        var pages = new List<Bundle>();
        var url = first;
        while (url is not null)
        {
            var response = await client.GetAsync(url);
            Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
            var page = response.Resource<Bundle>();
            pages.Add(page);
            url = page.Link.SingleOrDefault(l => l.Relation == "next")?.Url;
        }

        return pages;
    }

    private async Task<int> TracesOfAsync(Patient patient)
    {
        await using var scope = App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<DmpApi.Storage.DmpDbContext>();
        return await db.Set<DmpApi.Audit.AuditRecord>().CountAsync(r => r.PatientId == patient.Id && r.Path.Contains("$everything"));
    }

    [Test]
    public async Task The_holder_exports_every_resource_of_their_record_in_signed_pages_one_trace_per_page()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(Pharmacist);
        var documents = new[] { await CreateDocumentAsync(DocumentBuilder.For(patient)), await CreateDocumentAsync(DocumentBuilder.For(patient)) };
        var allergy = await Fhir.CreatedAsync(AllergyBuilder.For(patient).Build());

        var pages = await AllPagesAsync(asPatient, Everything(patient, "_count=2"));
        var exported = pages.SelectMany(p => p.MatchIds()).ToList();
        var searchedConsents = await asPatient.SearchBundleAsync("Consent", $"patient={patient.Id}");

        Assert.Multiple(async () =>
        {
            Assert.That(exported, Is.Unique);
            Assert.That(exported, Is.SupersetOf(documents.Select(d => d.Id).Append(allergy.Id).Append(patient.Id)));
            Assert.That(exported, Is.SupersetOf(searchedConsents.MatchIds()), "the opening permit and the patient's permit");
            Assert.That(pages[0].Total, Is.EqualTo(exported.Count));
            Assert.That(pages, Has.Count.EqualTo((exported.Count + 1) / 2));
            Assert.That(pages.SelectMany(p => p.Entry).Select(e => e.Resource).OfType<Binary>(), Is.Empty, "contents stay links by default");
            Assert.That(await TracesOfAsync(patient), Is.EqualTo(pages.Count));
        });
    }

    [Test]
    public async Task Binaries_come_inline_on_request_and_only_up_to_the_limit()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();
        var content = TestPdf.Create();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient).Content(content));

        var page = (await asPatient.GetAsync(Everything(patient, "_binary=inline"))).Resource<Bundle>();
        var binary = page.Entry.Select(e => e.Resource).OfType<Binary>().Single();

        Assert.Multiple(() =>
        {
            Assert.That(document.Content.Single().Attachment.Url, Does.EndWith($"Binary/{binary.Id}"));
            Assert.That(binary.Data, Is.EqualTo(content));
        });
    }

    [Test]
    public async Task The_export_comes_in_XML_too()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();

        var xml = await asPatient.GetAsync(Everything(patient, "_format=xml"));

        Assert.That(xml.Status, Is.EqualTo(HttpStatusCode.OK), xml.ToString());
        Assert.That(xml.MediaType, Is.EqualTo("application/fhir+xml"));
        Assert.That(xml.Resource<Bundle>().MatchIds(), Does.Contain(patient.Id));
    }

    [Test]
    public async Task A_representative_export_leaves_out_what_is_invisible_to_representatives()
    {
        var builder = new PatientBuilder().BornOn(DateOnly.FromDateTime(DateTime.UtcNow).AddYears(-8));
        var child = await CreatePatientAsync(builder);
        var mother = RelatedPersonBuilder.For(child);
        await Fhir.CreatedAsync(mother.Build());
        var visible = await CreateDocumentAsync(DocumentBuilder.For(child));
        var hidden = await CreateDocumentAsync(DocumentBuilder.For(child).SecurityLabel(Systems.Visibility, "INVISIBLE_REPRESENTANTS_LEGAUX"));

        var page = (await Fhir.As(Tokens.Representative(builder.Ins!, mother.RepresentativeIns)).GetAsync(Everything(child, "_binary=inline"))).Resource<Bundle>();
        var ids = page.MatchIds();

        Assert.Multiple(() =>
        {
            Assert.That(ids, Does.Contain(visible.Id));
            Assert.That(ids, Does.Not.Contain(hidden.Id));
            Assert.That(page.Total, Is.EqualTo(ids.Length), "not counted");
            Assert.That(page.Entry.Select(e => e.Resource).OfType<Binary>().Select(b => b.Id),
                Is.EqualTo(new[] { visible.Content.Single().Attachment.Url!.Split('/').Last() }), "nor its content");
        });
    }

    [Test]
    public async Task A_professional_exports_what_a_search_would_show_them_and_nothing_more()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(Pharmacist);
        var visible = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var masked = await CreateDocumentAsync(DocumentBuilder.For(patient).SecurityLabel(Systems.Visibility, "MASQUE_PS"));
        var othersPermit = await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting("810009100003").Build());
        var asPharmacist = Fhir.As(Tokens.Professional(Pharmacist, profession: "21"));

        var exported = (await AllPagesAsync(asPharmacist, Everything(patient))).SelectMany(p => p.MatchIds()).ToList();
        var refused = await Fhir.As(Tokens.Professional(Stranger)).GetAsync(Everything(patient));

        Assert.Multiple(() =>
        {
            Assert.That(exported, Does.Contain(visible.Id));
            Assert.That(exported, Does.Not.Contain(masked.Id));
            Assert.That(exported, Does.Not.Contain(othersPermit.Id), "a Consent naming another professional");
            Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.Forbidden), refused.ToString());
        });
    }

    [Test]
    public async Task An_unknown_binary_mode_or_record_is_refused()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync();

        var badMode = await asPatient.GetAsync(Everything(patient, "_binary=embedded"));
        var noRecord = await Fhir.GetAsync($"fhir/Patient/{Guid.NewGuid():N}/$everything");

        Assert.Multiple(() =>
        {
            Assert.That(badMode.Status, Is.EqualTo(HttpStatusCode.BadRequest), badMode.ToString());
            Assert.That(noRecord.Status, Is.EqualTo(HttpStatusCode.NotFound), noRecord.ToString());
        });
    }
}
