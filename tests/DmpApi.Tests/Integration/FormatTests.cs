using System.Net;
using System.Net.Http.Headers;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>Wire formats and body handling (DESIGN §4 "Formats", "Errors"; FHIR R4 §3.1.0.1.10).</summary>
public sealed class FormatTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task An_XML_body_is_accepted()
    {
        var patient = new PatientBuilder().Named("Xml", "Body").Build();

        var response = await Fhir.SendAsync(HttpMethod.Post, "fhir/Patient", FhirHttp.XmlContent(patient), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Created), response.ToString());
        Assert.That(response.Resource<Patient>().Name.Single().Family, Is.EqualTo("Xml"));
    }

    [Test]
    public async Task A_JSON_body_is_answered_in_JSON_by_default()
    {
        var response = await Fhir.CreateAsync(new PatientBuilder().Build());

        Assert.That(response.MediaType, Is.EqualTo(FhirHttp.Json));
    }

    [Test]
    public async Task Accept_application_fhir_xml_gets_XML()
    {
        var patient = await CreatePatientAsync(new PatientBuilder().Named("Accepté"));

        var response = await Fhir.GetAsync($"fhir/Patient/{patient.Id}", r => r.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirHttp.Xml)));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(response.MediaType, Is.EqualTo(FhirHttp.Xml));
            Assert.That(response.Text, Does.StartWith("<Patient xmlns=\"http://hl7.org/fhir\""));
            Assert.That(response.Resource<Patient>().Name.Single().Family, Is.EqualTo("Accepté"));
        });
    }

    [Test]
    public async Task Format_parameter_xml_gets_XML()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.GetAsync($"fhir/Patient/{patient.Id}?_format=xml");

        Assert.That(response.MediaType, Is.EqualTo(FhirHttp.Xml), response.ToString());
        Assert.That(response.Resource<Patient>().Id, Is.EqualTo(patient.Id));
    }

    [Test]
    public async Task Format_parameter_wins_over_Accept()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.GetAsync($"fhir/Patient/{patient.Id}?_format=json",
            r => r.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirHttp.Xml)));

        Assert.That(response.MediaType, Is.EqualTo(FhirHttp.Json), response.ToString());
    }

    [Test]
    public async Task A_searchset_in_JSON_holds_the_same_resources_as_in_XML()
    {
        // JSON answers send the stored JSON of each entry (StoredEntries); XML answers serialise the parsed resources.
        var patient = await CreatePatientAsync();
        await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2026-01-01T10:00:00Z"));
        await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2026-02-01T10:00:00Z"));
        var query = $"patient={patient.Id}&_include=DocumentReference:subject";

        var json = (await Fhir.SearchAsync("DocumentReference", query)).Resource<Bundle>();
        var xml = (await Fhir.SearchAsync("DocumentReference", query + "&_format=xml")).Resource<Bundle>();

        Assert.That(json.Entry.Select(e => e.Resource?.TypeName), Is.EqualTo(new[] { "DocumentReference", "DocumentReference", "Patient" }));
        Assert.That(json.Entry.Select(e => e.FullUrl), Is.EqualTo(xml.Entry.Select(e => e.FullUrl)));
        for (var i = 0; i < json.Entry.Count; i++)
        {
            Assert.That(json.Entry[i].Resource.IsExactly(xml.Entry[i].Resource), Is.True, $"entry {i} differs between JSON and XML");
        }
    }

    [Test]
    public async Task A_read_in_JSON_answers_the_same_resource_as_in_XML()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient).Date("2026-03-01T10:00:00Z"));

        var json = (await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}")).Resource<DocumentReference>();
        var xml = (await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}?_format=xml")).Resource<DocumentReference>();

        Assert.That(json.IsExactly(xml), Is.True);
        Assert.That(json.IsExactly(document), Is.True, "the read answers the version the create returned");
    }

    [Test]
    public async Task Search_results_can_be_asked_in_XML()
    {
        var patient = await CreatePatientAsync();
        await CreateDocumentAsync(DocumentBuilder.For(patient));

        var response = await Fhir.SearchAsync("DocumentReference", $"patient={patient.Id}&_format=xml");

        Assert.That(response.MediaType, Is.EqualTo(FhirHttp.Xml), response.ToString());
        Assert.That(response.Resource<Bundle>().Entry, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task An_unsupported_format_parameter_answers_400()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.GetAsync($"fhir/Patient/{patient.Id}?_format=csv");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Outcome.Issue, Is.Not.Empty);
    }

    [Test]
    public async Task Errors_are_answered_in_the_format_asked_for()
    {
        var response = await Fhir.GetAsync($"fhir/Patient/{Guid.NewGuid():N}?_format=xml");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), response.ToString());
        Assert.That(response.MediaType, Is.EqualTo(FhirHttp.Xml));
        Assert.That(response.Outcome.Issue, Is.Not.Empty);
    }

    [TestCase("text/plain")]
    [TestCase("application/x-www-form-urlencoded")]
    public async Task An_unsupported_Content_Type_answers_415(string contentType)
    {
        var json = FhirHttp.JsonBytes(new PatientBuilder().Build());

        var response = await Fhir.SendAsync(HttpMethod.Post, "fhir/Patient", FhirHttp.Body(json, contentType), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnsupportedMediaType), response.ToString());
        Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.NotSupported));
    }

    [Test]
    public async Task A_body_without_Content_Type_answers_415()
    {
        var response = await Fhir.SendAsync(HttpMethod.Post, "fhir/Patient", FhirHttp.Body("{\"resourceType\":\"Patient\"}"u8.ToArray(), null), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.UnsupportedMediaType), response.ToString());
    }

    [Test]
    public async Task Malformed_JSON_answers_400_with_an_OperationOutcome()
    {
        var response = await Fhir.SendAsync(HttpMethod.Post, "fhir/Patient", FhirHttp.Body("{\"resourceType\":\"Patient\",", FhirHttp.Json), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Outcome.Issue.First().Code, Is.EqualTo(OperationOutcome.IssueType.Structure));
    }

    [Test]
    public async Task Malformed_XML_answers_400_with_an_OperationOutcome()
    {
        var response = await Fhir.SendAsync(HttpMethod.Post, "fhir/Patient", FhirHttp.Body("<Patient xmlns=\"http://hl7.org/fhir\"><active value=\"true\">", FhirHttp.Xml), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Outcome.Issue, Is.Not.Empty);
    }

    [Test]
    public async Task An_unknown_JSON_element_answers_400()
    {
        var ins = TestIns.New();
        var body = $$"""{"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.250.1.213.1.4.8","value":"{{ins}}"}],"favouriteColour":"blue"}""";

        var response = await Fhir.SendAsync(HttpMethod.Post, "fhir/Patient", FhirHttp.Body(body, FhirHttp.Json), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Text, Does.Contain("favouriteColour"));
    }

    [Test]
    public async Task An_unknown_XML_element_answers_400()
    {
        var ins = TestIns.New();
        var body = $"""<Patient xmlns="http://hl7.org/fhir"><identifier><system value="urn:oid:1.2.250.1.213.1.4.8"/><value value="{ins}"/></identifier><favouriteColour value="blue"/></Patient>""";

        var response = await Fhir.SendAsync(HttpMethod.Post, "fhir/Patient", FhirHttp.Body(body, FhirHttp.Xml), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
    }

    [Test]
    public async Task A_value_of_the_wrong_JSON_type_answers_400()
    {
        var ins = TestIns.New();
        var body = $$"""{"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.250.1.213.1.4.8","value":"{{ins}}"}],"active":"yes"}""";

        var response = await Fhir.SendAsync(HttpMethod.Post, "fhir/Patient", FhirHttp.Body(body, FhirHttp.Json), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
    }

    [TestCase("{}")]
    [TestCase("[]")]
    [TestCase("null")]
    [TestCase("{\"resourceType\":\"NoSuchType\"}")]
    [TestCase("42")]
    [TestCase("\"text\"")]
    public async Task JSON_that_is_not_a_FHIR_resource_answers_400(string body)
    {
        var response = await Fhir.SendAsync(HttpMethod.Post, "fhir/Patient", FhirHttp.Body(body, FhirHttp.Json), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Outcome.Issue, Is.Not.Empty);
    }

    [TestCase("<Patient/>")]
    [TestCase("<NoSuchType xmlns=\"http://hl7.org/fhir\"/>")]
    [TestCase("just text")]
    public async Task XML_that_is_not_a_FHIR_resource_answers_400(string body)
    {
        var response = await Fhir.SendAsync(HttpMethod.Post, "fhir/Patient", FhirHttp.Body(body, FhirHttp.Xml), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Outcome.Issue, Is.Not.Empty);
    }

    [Test]
    public async Task A_string_with_a_control_character_answers_400()
    {
        // FHIR R4 §2.1.0.3 (string): no character below U+0020 except tab, CR and LF; PostgreSQL cannot even store U+0000.
        var patient = new PatientBuilder().Named("Nul\u0000Byte").Build();

        var response = await Fhir.CreateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
    }

    [Test]
    public async Task An_empty_body_answers_400()
    {
        var response = await Fhir.SendAsync(HttpMethod.Post, "fhir/Patient", FhirHttp.Body([], FhirHttp.Json), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Outcome.Issue, Is.Not.Empty);
    }

    [Test]
    public async Task Prefer_return_minimal_answers_with_an_empty_body()
    {
        var patient = new PatientBuilder().Build();

        var response = await Fhir.CreateAsync(patient, r => r.Headers.TryAddWithoutValidation("Prefer", "return=minimal"));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Created), response.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(response.Body, Is.Empty);
            Assert.That(response.Location, Is.Not.Null);
            Assert.That(response.ETag, Is.EqualTo("W/\"1\""));
        });
    }

    [Test]
    public async Task Prefer_return_OperationOutcome_answers_with_an_OperationOutcome()
    {
        var patient = new PatientBuilder().Build();

        var response = await Fhir.CreateAsync(patient, r => r.Headers.TryAddWithoutValidation("Prefer", "return=OperationOutcome"));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Created), response.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(response.Outcome.Issue.Single().Severity, Is.EqualTo(OperationOutcome.IssueSeverity.Information));
            Assert.That(response.Location, Is.Not.Null);
            Assert.That(response.ETag, Is.EqualTo("W/\"1\""));
        });
    }

    [Test]
    public async Task Prefer_return_representation_answers_with_the_resource()
    {
        var response = await Fhir.CreateAsync(new PatientBuilder().Build(), r => r.Headers.TryAddWithoutValidation("Prefer", "return=representation"));

        Assert.That(response.Resource<Patient>().Meta?.VersionId, Is.EqualTo("1"), response.ToString());
    }
}

/// <summary>
/// The request body limit (DESIGN §4: 413 for a body over the configured limit), in a fixture of its own whose
/// application is configured with a small Limits:MaxRequestBodyBytes.
/// </summary>
public sealed class BodyLimitTests(TestStore store) : StoreFixture(store)
{
    private const int Limit = 2048;

    protected override IReadOnlyDictionary<string, string?> Settings { get; } =
        new Dictionary<string, string?> { ["Limits:MaxRequestBodyBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    [Test]
    public async Task A_body_over_the_configured_limit_answers_413()
    {
        var patient = new PatientBuilder().Build();
        patient.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">{new string('x', Limit * 2)}</div>" };

        var response = await Fhir.CreateAsync(patient);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge), response.ToString());
        Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.TooLong));
    }

    [Test]
    public async Task A_streamed_body_over_the_configured_limit_answers_413_without_Content_Length()
    {
        var patient = new PatientBuilder().Build();
        patient.Text = new Narrative { Status = Narrative.NarrativeStatus.Generated, Div = $"<div xmlns=\"http://www.w3.org/1999/xhtml\">{new string('x', Limit * 2)}</div>" };
        var bytes = FhirHttp.JsonBytes(patient);

        var response = await Fhir.SendAsync(HttpMethod.Post, "fhir/Patient", new UnknownLengthContent(bytes, FhirHttp.Json), null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge), response.ToString());
    }

    [Test]
    public async Task A_body_under_the_configured_limit_is_accepted()
    {
        var response = await Fhir.CreateAsync(new PatientBuilder().Build());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Created), response.ToString());
    }

    /// <summary>A body sent without Content-Length (chunked), so that only reading it can find it too large.</summary>
    private sealed class UnknownLengthContent : HttpContent
    {
        private readonly byte[] _bytes;

        public UnknownLengthContent(byte[] bytes, string mediaType)
        {
            _bytes = bytes;
            Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        }

        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(_bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
