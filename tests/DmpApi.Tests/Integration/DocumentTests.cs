using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// DocumentReference and its content (DESIGN §4 "Document content"): inline data moves to a Binary, the attachment
/// carries url, size and SHA-1 hash (PDSm), and the document belongs to one known patient's record.
/// </summary>
public sealed class DocumentTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task Inline_content_is_replaced_by_a_Binary_url_with_size_and_SHA1_hash()
    {
        var patient = await CreatePatientAsync();
        var pdf = TestPdf.Create();

        var response = await Fhir.CreateAsync(DocumentBuilder.For(patient).Content(pdf).Build());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Created), response.ToString());
        var attachment = response.Resource<DocumentReference>().Content.Single().Attachment;
        Assert.Multiple(() =>
        {
            Assert.That(attachment.Data, Is.Null);
            Assert.That(attachment.Url, Does.Match("^http://localhost/fhir/Binary/[^/]+$"));
            Assert.That(attachment.SizeUnsignedInt, Is.EqualTo(pdf.Length)); // R4 unsignedInt (the SDK's Size is R5's integer64)
            Assert.That(attachment.Hash, Is.EqualTo(SHA1.HashData(pdf)));
            Assert.That(attachment.ContentType, Is.EqualTo("application/pdf"));
        });
    }

    [Test]
    public async Task The_depositing_professional_is_recorded_as_author_from_the_token()
    {
        var patient = await CreatePatientAsync();

        var created = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var authors = created.Author.Select(a => (a.Identifier?.System, a.Identifier?.Value)).ToList();
        Assert.That(authors, Does.Contain(("urn:oid:1.2.250.1.71.4.2.1", (string?)Tokens.DoctorIdNatPs)));
    }

    [Test]
    public async Task A_stored_document_keeps_the_url_and_not_the_data()
    {
        var patient = await CreatePatientAsync();
        var created = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var read = (await Fhir.GetAsync($"fhir/DocumentReference/{created.Id}")).Resource<DocumentReference>();

        var attachment = read.Content.Single().Attachment;
        Assert.Multiple(() =>
        {
            Assert.That(attachment.Data, Is.Null);
            Assert.That(attachment.Url, Is.EqualTo(created.Content.Single().Attachment.Url));
        });
    }

    [Test]
    public async Task The_Binary_url_returns_the_exact_bytes_with_their_content_type()
    {
        var patient = await CreatePatientAsync();
        var pdf = TestPdf.Create();
        var created = await CreateDocumentAsync(DocumentBuilder.For(patient).Content(pdf));

        var response = await Fhir.GetAsync(BinaryUrl(created));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(response.MediaType, Is.EqualTo("application/pdf"));
            Assert.That(response.Body, Is.EqualTo(pdf));
        });
    }

    [Test]
    public async Task The_Binary_url_with_Accept_fhir_json_returns_a_FHIR_Binary_holding_the_bytes()
    {
        var patient = await CreatePatientAsync();
        var pdf = TestPdf.Create();
        var created = await CreateDocumentAsync(DocumentBuilder.For(patient).Content(pdf));

        var response = await Fhir.GetAsync(BinaryUrl(created), r => r.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirHttp.Json)));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var binary = response.Resource<Binary>();
        Assert.Multiple(() =>
        {
            Assert.That(response.MediaType, Is.EqualTo(FhirHttp.Json));
            Assert.That(binary.Data, Is.EqualTo(pdf));
            Assert.That(binary.ContentType, Is.EqualTo("application/pdf"));
            Assert.That(binary.SecurityContext?.Reference, Is.EqualTo($"DocumentReference/{created.Id}"));
        });
    }

    [Test]
    public async Task An_unknown_Binary_answers_404()
    {
        var response = await Fhir.GetAsync($"fhir/Binary/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), response.ToString());
        Assert.That(response.Outcome.Issue, Is.Not.Empty);
    }

    [Test]
    public async Task The_Binary_of_a_deleted_document_answers_404()
    {
        var patient = await CreatePatientAsync();
        var created = await CreateDocumentAsync(DocumentBuilder.For(patient));
        await Fhir.DeleteAsync($"fhir/DocumentReference/{created.Id}");

        var response = await Fhir.GetAsync(BinaryUrl(created));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), response.ToString());
    }

    [Test]
    public async Task A_hash_that_does_not_match_the_data_answers_422()
    {
        var patient = await CreatePatientAsync();
        var document = DocumentBuilder.For(patient).Build();
        document.Content.Single().Attachment.Hash = SHA1.HashData("something else"u8);

        var response = await Fhir.CreateAsync(document);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("hash"));
    }

    [Test]
    public async Task A_size_that_does_not_match_the_data_answers_422()
    {
        var patient = await CreatePatientAsync();
        var document = DocumentBuilder.For(patient).Build();
        document.Content.Single().Attachment.SizeUnsignedInt = 1;

        var response = await Fhir.CreateAsync(document);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("size"));
    }

    [Test]
    public async Task Inline_data_without_a_content_type_answers_422()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.CreateAsync(DocumentBuilder.For(patient).Content(TestPdf.Create(), contentType: null).Build());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("contentType"));
    }

    [Test]
    public async Task A_document_of_an_unknown_patient_answers_422()
    {
        var response = await Fhir.CreateAsync(DocumentBuilder.For(Guid.NewGuid().ToString("N")).Build());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
        Assert.That(response.Outcome.Issue, Is.Not.Empty);
    }

    [Test]
    public async Task A_document_of_a_closed_record_answers_403()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        patient.Active = false;
        await Fhir.As(Tokens.Patient(builder.Ins!)).UpdateAsync(patient);

        var response = await Fhir.CreateAsync(DocumentBuilder.For(patient).Build());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
    }

    [Test]
    public async Task A_document_without_subject_answers_422()
    {
        var patient = await CreatePatientAsync();
        var document = DocumentBuilder.For(patient).Build();
        document.Subject = null;

        var response = await Fhir.CreateAsync(document);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("subject"));
    }

    [Test]
    public async Task A_subject_given_by_INS_is_resolved_to_the_Patient_reference()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);

        var created = await CreateDocumentAsync(DocumentBuilder.ForIns(builder.Ins!));

        Assert.That(created.Subject?.Reference, Is.EqualTo($"Patient/{patient.Id}"));
    }

    [Test]
    public async Task A_subject_given_by_an_unknown_INS_answers_422()
    {
        var response = await Fhir.CreateAsync(DocumentBuilder.ForIns(TestIns.New()).Build());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
    }

    [Test]
    public async Task A_document_cannot_move_to_another_patients_record()
    {
        var first = await CreatePatientAsync();
        var second = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(first));
        document.Subject = new ResourceReference($"Patient/{second.Id}");

        var response = await Fhir.UpdateAsync(document);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), response.ToString());
    }

    private static string BinaryUrl(DocumentReference document) =>
        document.Content.Single().Attachment?.Url ?? throw new AssertionException("Arrange: the created document has no attachment url.");
}
