using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Audit;

/// <summary>
/// IHE BALP / MHD audit patterns: each trace names the IHE MHD transaction it was (ITI-65 publication, ITI-66 Lists,
/// ITI-67 DocumentReferences, ITI-68 content) and carries the user, the client and the server as agents.
/// </summary>
public sealed class MhdAuditTests(TestStore store) : StoreFixture(store)
{
    private const string IheTransactions = "urn:ihe:event-type-code";

    [Test]
    public async Task Publication_list_search_and_content_read_are_traced_as_ITI_65_66_and_68()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var published = (await Fhir.SendAsync(HttpMethod.Post, "fhir",
            FhirHttp.JsonContent(DocumentBundleBuilder.For(patient).With(DocumentBuilder.For(patient)).Build()), null)).Resource<Bundle>();
        await Fhir.SearchAsync("List", $"patient={patient.Id}");
        var binary = published.Entry.Select(e => e.Response!.Location!).Single(l => l.StartsWith("Binary/", StringComparison.Ordinal));
        await Fhir.GetAsync($"fhir/{binary}");

        var traces = (await Fhir.As(Tokens.Patient(builder.Ins!)).SearchBundleAsync("AuditEvent", $"patient={patient.Id}&_count=50"))
            .Entry.Select(e => e.Resource).OfType<AuditEvent>().ToList();
        var transactions = traces.SelectMany(t => t.Subtype).Where(c => c.System == IheTransactions).Select(c => c.Code).ToList();

        Assert.That(transactions, Is.SupersetOf(new[] { "ITI-65", "ITI-66", "ITI-68" }));
    }

    [Test]
    public async Task A_trace_names_the_client_and_the_server_beside_the_user()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        await Fhir.SearchAsync("DocumentReference", $"patient={patient.Id}");

        var trace = (await Fhir.As(Tokens.Patient(builder.Ins!)).SearchBundleAsync("AuditEvent", $"patient={patient.Id}&_count=1"))
            .Entry.Select(e => e.Resource).OfType<AuditEvent>().Single();
        var roles = trace.Agent.Select(a => (a.Type?.Coding.SingleOrDefault()?.Code, a.Requestor)).ToList();

        Assert.That(roles, Is.EquivalentTo(new (string?, bool?)[] { ("IRCP", true), ("110153", false), ("110152", false) }),
            "BALP: the user (requestor), the client (DICOM Source Role ID) and the server (Destination Role ID)");
    }
}
