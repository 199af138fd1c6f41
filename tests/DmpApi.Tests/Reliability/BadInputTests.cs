using System.Net;
using System.Text;
using DmpApi.Fhir;
using DmpApi.Storage;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Reliability;

/// <summary>
/// Bad input (DESIGN §4: never a 500 for anything a client sent): each row of the table is one kind of bad request; it
/// gets its 4xx with a precise OperationOutcome, leaves the store exactly as it was (every table's row count and every
/// resource's current version, compared before and after), and leaves exactly one audit record with its status.
/// </summary>
public sealed class BadInputTests(TestStore store) : StoreFixture(store)
{
    /// <summary>One bad request: how to build it against an existing record, and the answer it must get.</summary>
    public sealed record BadRequest(string Name, Func<Target, HttpRequestMessage> Build, HttpStatusCode Status, OperationOutcome.IssueType Code)
    {
        public override string ToString() => Name;
    }

    /// <summary>What a bad request aims at: a patient and a document of theirs (created once per fixture).</summary>
    public sealed record Target(Patient Patient, DocumentReference Document);

    private Target? _target;

    private static readonly string PatientJson = $$"""
        {"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.250.1.213.1.4.8","value":"{{TestIns.New()}}"}],"name":[{"family":"Martin","given":["Jeanne"]}],"gender":"female","birthDate":"1955-08-14"}
        """;

    private static readonly string PatientXml = $$"""
        <Patient xmlns="http://hl7.org/fhir"><identifier><system value="urn:oid:1.2.250.1.213.1.4.8"/><value value="{{TestIns.New()}}"/></identifier><name><family value="Martin"/></name><gender value="female"/></Patient>
        """;

    /// <summary>A POST with the body as given; a null media type sends no Content-Type at all.</summary>
    private static HttpRequestMessage Post(string url, string body, string? mediaType = FhirHttp.Json) =>
        new(HttpMethod.Post, url) { Content = FhirHttp.Body(Encoding.UTF8.GetBytes(body), mediaType) };

    private static HttpRequestMessage Get(string url) => new(HttpMethod.Get, url);

    private static HttpRequestMessage PutPatient(Target t, string json, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, $"fhir/Patient/{t.Patient.Id}") { Content = FhirHttp.Body(json, FhirHttp.Json) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return request;
    }

    private static string SamePatientJson(Target t, string? id = null, string birthDate = "1955-08-14", string gender = "female") =>
        $$"""{"resourceType":"Patient","id":"{{id ?? t.Patient.Id}}","identifier":[{"system":"urn:oid:1.2.250.1.213.1.4.8","value":"{{t.Patient.Identifier[0].Value}}"}],"name":[{"family":"Changed"}],"gender":"{{gender}}","birthDate":"{{birthDate}}"}""";

    private static HttpRequestMessage SearchDocuments(Target t, string query) => Get($"fhir/DocumentReference?patient={t.Patient.Id}&{query}");

    private static HttpRequestMessage SearchByPost(Target t, IEnumerable<KeyValuePair<string, string>> parameters) =>
        new(HttpMethod.Post, "fhir/DocumentReference/_search")
        {
            Content = new FormUrlEncodedContent(parameters.Prepend(new KeyValuePair<string, string>("patient", t.Patient.Id!))),
        };

    private const HttpStatusCode Bad = HttpStatusCode.BadRequest;

    public static IEnumerable<BadRequest> Table() =>
    [
        // Bodies
        new("Malformed JSON", _ => Post("fhir/Patient", """{"resourceType":"Patient",,}"""), Bad, OperationOutcome.IssueType.Structure),
        new("Malformed XML", _ => Post("fhir/Patient", "<Patient xmlns=\"http://hl7.org/fhir\"><name>", FhirHttp.Xml), Bad, OperationOutcome.IssueType.Structure),
        new("Truncated JSON body", _ => Post("fhir/Patient", PatientJson[..(PatientJson.Length / 2)]), Bad, OperationOutcome.IssueType.Structure),
        new("Truncated XML body", _ => Post("fhir/Patient", PatientXml[..(PatientXml.Length / 2)], FhirHttp.Xml), Bad, OperationOutcome.IssueType.Structure),
        new("Empty body", _ => Post("fhir/Patient", string.Empty), Bad, OperationOutcome.IssueType.Required),
        new("Wrong content type", _ => Post("fhir/Patient", PatientJson, "text/plain"), HttpStatusCode.UnsupportedMediaType, OperationOutcome.IssueType.NotSupported),
        new("Missing content type", _ => Post("fhir/Patient", PatientJson, null), HttpStatusCode.UnsupportedMediaType, OperationOutcome.IssueType.NotSupported),
        new("Wrong resourceType for the endpoint", _ => Post("fhir/Patient", """{"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/x"}}"""), Bad, OperationOutcome.IssueType.Invalid),
        new("Unknown resourceType", _ => Post("fhir/Patient", """{"resourceType":"NoSuchThing"}"""), Bad, OperationOutcome.IssueType.Structure),
        new("Body id differs from the URL", t => PutPatient(t, SamePatientJson(t, id: "someone-else"), "W/\"1\""), Bad, OperationOutcome.IssueType.Invalid),
        new("Unknown element", _ => Post("fhir/Patient", PatientJson.Replace("\"gender\"", "\"hairColour\":\"red\",\"gender\"")), Bad, OperationOutcome.IssueType.Structure),
        new("Invalid date", t => PutPatient(t, SamePatientJson(t, birthDate: "1955-13-45"), "W/\"1\""), Bad, OperationOutcome.IssueType.Structure),
        new("Invalid code", t => PutPatient(t, SamePatientJson(t, gender: "robot"), "W/\"1\""), Bad, OperationOutcome.IssueType.Structure),
        new("Invalid INS key", _ => Post("fhir/Patient", Encoding.UTF8.GetString(FhirHttp.JsonBytes(new PatientBuilder().WithIns(TestIns.WithWrongKey(TestIns.New())).Build()))), HttpStatusCode.UnprocessableEntity, OperationOutcome.IssueType.Value),
        new("Body over 10 MB", _ => Post("fhir/Patient", PatientJson.Replace("\"Jeanne\"", "\"" + new string('a', 11 * 1024 * 1024) + "\"")), HttpStatusCode.RequestEntityTooLarge, OperationOutcome.IssueType.TooLong),
        new("Deeply nested JSON", _ => Post("fhir/Patient", "{\"resourceType\":\"Patient\",\"extension\":" + new string('[', 100_000) + new string(']', 100_000) + "}"), Bad, OperationOutcome.IssueType.Structure),
        new("Huge array", _ => Post("fhir/Patient", "{\"resourceType\":\"Patient\",\"name\":[" + string.Join(',', Enumerable.Repeat("null", 1_000_000)) + "]}"), Bad, OperationOutcome.IssueType.Structure),
        new("NUL character in a string", _ => Post("fhir/Patient", PatientJson.Replace("Martin", "Mar\\u0000tin")), Bad, OperationOutcome.IssueType.Value),

        // Found by the mutation fuzzer (each answered 500 before)
        new("JSON Patch move without from", t => Patch(t, """[{"op":"move","path":"/status"}]"""), Bad, OperationOutcome.IssueType.Structure),
        new("contained as an object", _ => Post("fhir/Patient", PatientJson.Replace("\"gender\"", "\"contained\":{\"x\":null},\"gender\"")), Bad, OperationOutcome.IssueType.Structure),
        new("NUL character in a form search", t => SearchByPost(t, [new("_id", "\u0000")]), Bad, OperationOutcome.IssueType.Invalid),
        new("NUL character as the patient of a search (its audit record once failed on PostgreSQL)", _ => Get("fhir/DocumentReference?patient=%00"), Bad, OperationOutcome.IssueType.Invalid),
        new("Several values for :missing", t => SearchDocuments(t, "description:missing=%2C%2C%2C"), Bad, OperationOutcome.IssueType.Invalid),
        new("U+FFFF in a stored string (could not be answered in XML)", _ => Post("fhir/Patient", PatientJson.Replace("Martin", "Martin\\uFFFF")), Bad, OperationOutcome.IssueType.Value),
        new("U+FFFF echoed in an XML error", t => WithAccept(SearchDocuments(t, "_count=%EF%BF%BF"), FhirHttp.Xml), Bad, OperationOutcome.IssueType.Invalid),

        // If-Match
        new("Malformed If-Match", t => PutPatient(t, SamePatientJson(t), "garbage"), Bad, OperationOutcome.IssueType.Invalid),
        new("Stale If-Match", t => PutPatient(t, SamePatientJson(t), "W/\"99\""), HttpStatusCode.PreconditionFailed, OperationOutcome.IssueType.Conflict),

        // Search parameters
        new("SQL in a date parameter", t => SearchDocuments(t, "date=" + Uri.EscapeDataString("2020'; DROP TABLE \"Resources\"; --")), Bad, OperationOutcome.IssueType.Invalid),
        new("SQL in _sort", t => SearchDocuments(t, "_sort=" + Uri.EscapeDataString("date;DELETE FROM \"Resources\"")), Bad, OperationOutcome.IssueType.NotSupported),
        new("FHIRPath in _include", t => SearchDocuments(t, "_include=" + Uri.EscapeDataString("DocumentReference:subject.where(true)")), Bad, OperationOutcome.IssueType.NotSupported),
        new("FHIRPath as a parameter name under strict handling", t => WithPrefer(SearchDocuments(t, Uri.EscapeDataString("subject.where(resolve().exists())") + "=x"), "handling=strict"), Bad, OperationOutcome.IssueType.Invalid),
        new("Unicode in a date parameter", t => SearchDocuments(t, "date=" + Uri.EscapeDataString("２０２０-０１-０１")), Bad, OperationOutcome.IssueType.Invalid),
        new("Very long date value", t => SearchByPost(t, [new("date", "2020-01-01" + new string('9', 100_000))]), Bad, OperationOutcome.IssueType.Invalid),
        new("1,000 repeated parameters", t => SearchByPost(t, Enumerable.Repeat(new KeyValuePair<string, string>("status", "current"), 1_000)), Bad, OperationOutcome.IssueType.TooCostly),
        new("Invalid _count", t => SearchDocuments(t, "_count=-5"), Bad, OperationOutcome.IssueType.Invalid),
        new("Garbage page token", t => SearchDocuments(t, "_page=" + Uri.EscapeDataString("' OR 1=1 --")), Bad, OperationOutcome.IssueType.Invalid),
        new("Forged page token", t => SearchDocuments(t, "_page=" + Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"Offset\":0}"))), Bad, OperationOutcome.IssueType.Invalid),
        new("Professional search naming no patient", _ => Get("fhir/DocumentReference?status=current"), Bad, OperationOutcome.IssueType.Required),
    ];

    /// <summary>
    /// Hostile strings that are well-formed values of their parameter (a token code or a string may hold quotes, dots
    /// and any letter): FHIR gives no ground to refuse them, so they must simply match nothing, and change nothing.
    /// </summary>
    public static IEnumerable<BadRequest> WellFormedHostileValues() =>
    [
        new("SQL in a token value", t => SearchDocuments(t, "status=" + Uri.EscapeDataString("current' OR '1'='1")), HttpStatusCode.OK, OperationOutcome.IssueType.Informational),
        new("SQL in a string value", t => SearchDocuments(t, "author.family=" + Uri.EscapeDataString("x' OR 1=1; DELETE FROM \"Resources\"; --")), HttpStatusCode.OK, OperationOutcome.IssueType.Informational),
        new("FHIRPath in a token value", t => SearchDocuments(t, "type=" + Uri.EscapeDataString("Patient.name.where(true)|%resource")), HttpStatusCode.OK, OperationOutcome.IssueType.Informational),
        new("LIKE wildcards in a string value", t => SearchDocuments(t, "author.family:contains=" + Uri.EscapeDataString("%_[]\\")), HttpStatusCode.OK, OperationOutcome.IssueType.Informational),
        new("Unicode in a string value", t => SearchDocuments(t, "author.family=" + Uri.EscapeDataString("Ðœ𝔘ñí©ødé‮ﷺ")), HttpStatusCode.OK, OperationOutcome.IssueType.Informational),
        new("Very long string value", t => SearchByPost(t, [new("author.family", new string('x', 100_000))]), HttpStatusCode.OK, OperationOutcome.IssueType.Informational),
        new("INS with a wrong key in patient.identifier", _ => Get("fhir/DocumentReference?patient.identifier=" + Uri.EscapeDataString("urn:oid:1.2.250.1.213.1.4.8|" + TestIns.WithWrongKey(TestIns.New()))), HttpStatusCode.OK, OperationOutcome.IssueType.Informational),
    ];

    [TestCaseSource(nameof(WellFormedHostileValues))]
    public async Task A_hostile_but_well_formed_search_value_matches_nothing_and_changes_nothing(BadRequest hostile)
    {
        var target = await TargetAsync();
        var before = await SnapshotAsync();

        var answer = await SendAsync(hostile.Build(target));

        var after = await SnapshotAsync();
        Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), answer.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(answer.Resource<Bundle>().Entry.Where(e => e.Resource is DocumentReference), Is.Empty, answer.ToString());
            Assert.That(after.DifferencesFrom(before), Is.Empty, "the store must be unchanged");
            Assert.That(after.AuditRecords, Is.EqualTo(before.AuditRecords + 1));
        });
    }

    private async Task<FhirResponse> SendAsync(HttpRequestMessage request)
    {
        using (request)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Tokens.Professional());
            using var response = await Fhir.Http.SendAsync(request);
            return new FhirResponse(response.StatusCode, response.Headers, response.Content.Headers, await response.Content.ReadAsByteArrayAsync());
        }
    }

    private static HttpRequestMessage Patch(Target t, string patch)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(patch));
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json-patch+json");
        return new HttpRequestMessage(HttpMethod.Patch, $"fhir/DocumentReference/{t.Document.Id}") { Content = content };
    }

    private static HttpRequestMessage WithAccept(HttpRequestMessage request, string mediaType)
    {
        request.Headers.Add("Accept", mediaType);
        return request;
    }

    private static HttpRequestMessage WithPrefer(HttpRequestMessage request, string prefer)
    {
        request.Headers.Add("Prefer", prefer);
        return request;
    }

    [TestCaseSource(nameof(Table))]
    public async Task A_bad_request_gets_its_4xx_and_an_OperationOutcome_and_changes_nothing(BadRequest bad)
    {
        var target = await TargetAsync();
        var before = await SnapshotAsync();

        var answer = await SendAsync(bad.Build(target));

        var after = await SnapshotAsync();
        Assert.That(answer.Status, Is.EqualTo(bad.Status), answer.ToString());
        var outcome = answer.Outcome;
        Assert.Multiple(() =>
        {
            Assert.That(outcome.Issue.Select(i => i.Code), Does.Contain(bad.Code), answer.ToString());
            Assert.That(outcome.Issue.Where(i => i.Code == bad.Code).Select(i => i.Diagnostics), Has.All.Not.Empty);
            Assert.That(after.DifferencesFrom(before), Is.Empty, "the store must be unchanged");
            Assert.That(after.AuditRecords, Is.EqualTo(before.AuditRecords + 1), "one audit record for the refused request");
        });
    }

    private async Task<Target> TargetAsync()
    {
        if (_target is null)
        {
            var patient = await CreatePatientAsync();
            var document = await CreateDocumentAsync(Infrastructure.DocumentBuilder.For(patient));
            // The professional's first access is notified once (DMP-RULES §4): done here, so that no row below adds it.
            Assert.That((await Fhir.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.OK));
            _target = new Target(patient, document);
        }

        return _target;
    }

    private async Task<DatabaseSnapshot> SnapshotAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await DatabaseSnapshot.TakeAsync(scope.ServiceProvider.GetRequiredService<DmpDbContext>());
    }
}
