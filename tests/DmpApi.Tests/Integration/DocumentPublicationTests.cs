using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// IHE MHD ITI-65 Provide Document Bundle at POST [base] (DESIGN §4): documents, their content and the SubmissionSet in
/// one transaction, each document under the rules of a single create; one refused entry stores nothing.
/// </summary>
public sealed class DocumentPublicationTests(TestStore store) : StoreFixture(store)
{
    private Task<FhirResponse> PublishAsync(FhirHttp client, Bundle bundle) =>
        client.SendAsync(HttpMethod.Post, "fhir", FhirHttp.JsonContent(bundle), null);

    [Test]
    public async Task A_provide_document_bundle_stores_each_document_with_its_content()
    {
        var patient = await CreatePatientAsync();
        var pdf = TestPdf.Create();
        var bundle = DocumentBundleBuilder.For(patient)
            .With(DocumentBuilder.For(patient).Type(Systems.Loinc, "34112-3").Content(pdf))
            .With(DocumentBuilder.For(patient).Type(Systems.Loinc, "11502-2").Content([1, 2, 3], "text/plain"))
            .Build();

        var published = await PublishAsync(Fhir, bundle);
        var response = published.Resource<Bundle>();
        var stored = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}");
        var report = stored.Entry.Select(e => e.Resource).OfType<DocumentReference>().Single(d => d.Type!.Coding[0].Code == "34112-3");
        var content = await Fhir.GetAsync(report.Content.Single().Attachment.Url!);

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.OK), published.ToString());
            Assert.That(response.Type, Is.EqualTo(Bundle.BundleType.TransactionResponse));
            Assert.That(response.Entry.Select(e => e.Response!.Status), Is.EqualTo(new[] { "201 Created", "201 Created", "201 Created", "201 Created", "201 Created" }),
                "SubmissionSet, then each Binary and its DocumentReference, in request order");
            Assert.That(response.Entry.Where(e => e.Response!.Location?.StartsWith("DocumentReference/") == true).Select(e => e.Response!.Location!.Split('/')[1]),
                Is.EquivalentTo(stored.MatchIds()));
            Assert.That(report.Author.Select(a => a.Identifier?.Value), Does.Contain(Tokens.DoctorIdNatPs), "the author is recorded from the token");
            Assert.That(content.Body, Is.EqualTo(pdf));
        });
    }

    [Test]
    public async Task A_bundle_with_one_refused_document_stores_none_of_them()
    {
        var patient = await CreatePatientAsync();
        var bundle = DocumentBundleBuilder.For(patient)
            .With(DocumentBuilder.For(patient))
            .With(DocumentBuilder.For("no-such-patient"))
            .Build();

        var published = await PublishAsync(Fhir, bundle);
        var stored = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_summary=count");

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), published.ToString());
            Assert.That(stored.Total, Is.EqualTo(0));
        });
    }

    [Test]
    public async Task A_professional_without_a_permit_cannot_publish_and_nothing_is_stored()
    {
        var patient = await CreatePatientAsync();

        var published = await PublishAsync(Fhir.As(Tokens.Professional("810007000001", profession: "21")),
            DocumentBundleBuilder.For(patient).With(DocumentBuilder.For(patient)).Build());
        var stored = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_summary=count");

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.Forbidden), published.ToString());
            Assert.That(stored.Total, Is.EqualTo(0));
        });
    }

    [Test]
    public async Task A_batch_bundle_is_refused_with_400()
    {
        var patient = await CreatePatientAsync();
        var bundle = DocumentBundleBuilder.For(patient).With(DocumentBuilder.For(patient)).Build();
        bundle.Type = Bundle.BundleType.Batch;

        var published = await PublishAsync(Fhir, bundle);

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.BadRequest), published.ToString());
            Assert.That(published.Diagnostics, Does.Contain("transaction"));
        });
    }

    [Test]
    public async Task An_entry_that_is_not_a_document_its_content_or_the_submission_set_is_refused_with_422()
    {
        var patient = await CreatePatientAsync();
        var bundle = DocumentBundleBuilder.For(patient).With(DocumentBuilder.For(patient)).WithEntry(new PatientBuilder().Build()).Build();

        var published = await PublishAsync(Fhir, bundle);
        var stored = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_summary=count");

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), published.ToString());
            Assert.That(published.Diagnostics, Does.Contain("Patient"));
            Assert.That(stored.Total, Is.EqualTo(0));
        });
    }

    [Test]
    public async Task A_binary_that_no_document_points_to_is_refused_with_422()
    {
        var patient = await CreatePatientAsync();
        var bundle = DocumentBundleBuilder.For(patient).With(DocumentBuilder.For(patient))
            .WithEntry(new Binary { ContentType = "text/plain", Data = [9, 9] }).Build();

        var published = await PublishAsync(Fhir, bundle);

        Assert.Multiple(() =>
        {
            Assert.That(published.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), published.ToString());
            Assert.That(published.Diagnostics, Does.Contain("content of no DocumentReference"));
        });
    }
}
