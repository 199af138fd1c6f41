using System.Net;
using System.Text;
using DmpApi.Audit;
using DmpApi.Endpoints;
using DmpApi.Search;
using DmpApi.Storage;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Audit;

/// <summary>
/// The audit trail (DESIGN §2, DMP-RULES §4): every /fhir request, allowed or denied, leaves exactly one record,
/// committed before the response; records are served to the patient, and only to them, as BALP-shaped AuditEvents.
/// </summary>
public sealed class AuditTrailTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task Every_read_leaves_exactly_one_AuditEvent()
    {
        var patient = await CreatePatientAsync();
        var before = await CountAsync();

        var response = await Fhir.GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That(await CountAsync(), Is.EqualTo(before + 1));
        var record = await LastAsync();
        Assert.Multiple(() =>
        {
            Assert.That(record.Interaction, Is.EqualTo("read"));
            Assert.That(record.Method, Is.EqualTo("GET"));
            Assert.That(record.Path, Is.EqualTo($"/fhir/Patient/{patient.Id}"));
            Assert.That(record.PatientId, Is.EqualTo(patient.Id));
            Assert.That(record.Resources, Is.EqualTo(new[] { $"Patient/{patient.Id}" }));
            Assert.That(record.HttpStatus, Is.EqualTo(200));
            Assert.That(record.Outcome, Is.Zero);
            Assert.That(record.RequesterKind, Is.EqualTo("Professional"));
            Assert.That(record.IdNatPs, Is.EqualTo(Tokens.DoctorIdNatPs));
            Assert.That(record.Profession, Is.EqualTo("10"));
            Assert.That(record.PurposeOfUse, Is.EqualTo("TREAT"));
            Assert.That(record.RecordedAt, Is.EqualTo(DateTime.UtcNow).Within(TimeSpan.FromMinutes(1)));
            Assert.That(record.RequestId, Is.Not.Empty);
        });
    }

    [Test]
    public async Task Every_write_leaves_exactly_one_AuditEvent_naming_what_was_written()
    {
        var patient = await CreatePatientAsync();
        var before = await CountAsync();

        var response = await Fhir.CreateAsync(AllergyBuilder.For(patient).Build(), r => r.Headers.Add("Prefer", "return=minimal"));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Created), response.ToString());
        Assert.That(await CountAsync(), Is.EqualTo(before + 1));
        var record = await LastAsync();
        var id = response.Location!.Segments[^3].TrimEnd('/');
        Assert.Multiple(() =>
        {
            Assert.That(record.Interaction, Is.EqualTo("create"));
            Assert.That(record.Resources, Is.EqualTo(new[] { $"AllergyIntolerance/{id}" }));
            Assert.That(record.PatientId, Is.EqualTo(patient.Id));
            Assert.That(record.Outcome, Is.Zero);
        });
    }

    [Test]
    public async Task A_request_without_token_leaves_one_record_with_outcome_4_and_an_anonymous_requester()
    {
        var patient = await CreatePatientAsync();
        var before = await CountAsync();

        var response = await Fhir.As(null).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        Assert.That(await CountAsync(), Is.EqualTo(before + 1));
        var record = await LastAsync();
        Assert.Multiple(() =>
        {
            Assert.That(record.HttpStatus, Is.EqualTo(401));
            Assert.That(record.Outcome, Is.EqualTo(4));
            Assert.That(record.RequesterKind, Is.EqualTo(AuditRecord.Anonymous));
            Assert.That(record.Subject, Is.EqualTo(AuditRecord.Anonymous));
            Assert.That(record.Resources, Is.Empty, "a denied request discloses nothing");
            Assert.That(record.PatientId, Is.EqualTo(patient.Id), "the record the attempt was about");
        });
    }

    [Test]
    public async Task A_request_denied_by_scope_leaves_one_record_with_outcome_4()
    {
        var patient = await CreatePatientAsync();
        var searchOnly = Fhir.As(Tokens.Professional(scope: "user/Patient.s"));
        var before = await CountAsync();

        var response = await searchOnly.GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That(await CountAsync(), Is.EqualTo(before + 1));
        var record = await LastAsync();
        Assert.Multiple(() =>
        {
            Assert.That(record.HttpStatus, Is.EqualTo(403));
            Assert.That(record.Outcome, Is.EqualTo(4));
            Assert.That(record.IdNatPs, Is.EqualTo(Tokens.DoctorIdNatPs));
            Assert.That(record.Resources, Is.Empty);
        });
    }

    [Test]
    public async Task A_read_of_an_unknown_resource_leaves_one_record_with_outcome_4()
    {
        var before = await CountAsync();

        var response = await Fhir.GetAsync($"fhir/DocumentReference/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), response.ToString());
        Assert.That(await CountAsync(), Is.EqualTo(before + 1));
        var record = await LastAsync();
        Assert.Multiple(() =>
        {
            Assert.That(record.HttpStatus, Is.EqualTo(404));
            Assert.That(record.Outcome, Is.EqualTo(4));
            Assert.That(record.ResourceType, Is.EqualTo("DocumentReference"));
        });
    }

    [Test]
    public async Task The_CapabilityStatement_is_not_traced()
    {
        var before = await CountAsync();

        var response = await Fhir.As(null).GetAsync("fhir/metadata");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        Assert.That(await CountAsync(), Is.EqualTo(before));
    }

    [Test]
    public async Task A_search_records_each_returned_resource()
    {
        var patient = await CreatePatientAsync();
        var first = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var second = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var before = await CountAsync();

        var bundle = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&_include=DocumentReference:subject");

        Assert.That(await CountAsync(), Is.EqualTo(before + 1));
        var record = await LastAsync();
        Assert.Multiple(() =>
        {
            Assert.That(bundle.MatchIds(), Is.EquivalentTo(new[] { first.Id, second.Id }));
            Assert.That(record.Interaction, Is.EqualTo("search-type"));
            Assert.That(record.Resources, Is.EquivalentTo(new[] { $"DocumentReference/{first.Id}", $"DocumentReference/{second.Id}", $"Patient/{patient.Id}" }));
            Assert.That(record.PatientId, Is.EqualTo(patient.Id));
            Assert.That(record.Path, Does.Contain($"patient={patient.Id}"));
        });
    }

    [Test]
    public async Task A_search_by_POST_is_traced_with_the_parameters_of_its_body()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var response = await Fhir.SearchByPostAsync("DocumentReference", [new("patient", patient.Id!)]);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var record = await LastAsync();
        Assert.Multiple(() =>
        {
            Assert.That(record.Interaction, Is.EqualTo("search-type"));
            Assert.That(record.Path, Is.EqualTo($"/fhir/DocumentReference/_search?patient={patient.Id}"));
            Assert.That(record.Resources, Is.EqualTo(new[] { $"DocumentReference/{document.Id}" }));
            Assert.That(record.PatientId, Is.EqualTo(patient.Id));
        });
    }

    [Test]
    public async Task Reading_document_content_is_traced_as_a_read_of_its_document()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var url = new Uri(document.Content.Single().Attachment.Url!);

        var response = await Fhir.GetAsync(url.PathAndQuery.TrimStart('/'));

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var record = await LastAsync();
        Assert.Multiple(() =>
        {
            Assert.That(record.Resources, Does.Contain($"DocumentReference/{document.Id}"));
            Assert.That(record.Resources, Does.Contain($"Binary/{url.Segments[^1]}"));
            Assert.That(record.PatientId, Is.EqualTo(patient.Id));
        });
    }

    [Test]
    public async Task The_record_is_committed_before_the_response_is_sent()
    {
        var patient = await CreatePatientAsync();

        var response = await Fhir.GetAsync($"fhir/Patient/{patient.Id}");

        // Read at once, through a connection of its own: only committed rows are visible there.
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var path = $"/fhir/Patient/{patient.Id}";
        var committed = await RecordsAsync(q => q.Where(r => r.Path == path && r.HttpStatus == 200));
        Assert.That(committed, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Concurrent_reads_leave_one_record_each_in_fewer_commits_than_records()
    {
        const int reads = 64;
        var patient = await CreatePatientAsync();
        var writer = App.Services.GetRequiredService<AuditWriter>();
        var commitsBefore = writer.Commits;
        var before = await CountAsync();

        var responses = await Task.WhenAll(Enumerable.Range(0, reads).Select(_ => Fhir.GetAsync($"fhir/Patient/{patient.Id}")));

        Assert.That(responses.Select(r => r.Status), Is.All.EqualTo(HttpStatusCode.OK));
        var commits = writer.Commits - commitsBefore;
        TestContext.Out.WriteLine($"{reads} concurrent reads: {reads} records in {commits} commits.");
        Assert.Multiple(() =>
        {
            Assert.That(CountAsync().Result, Is.EqualTo(before + reads));
            Assert.That(commits, Is.GreaterThan(0).And.LessThan(reads), "group commit: many records per transaction");
        });
    }

    [Test]
    public async Task The_patient_searches_their_own_traces_newest_first()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        await Fhir.GetAsync($"fhir/Patient/{patient.Id}");
        await Fhir.As(null).GetAsync($"fhir/Patient/{patient.Id}");
        await Fhir.SearchAsync("AllergyIntolerance", $"patient={patient.Id}");
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));

        var response = await asPatient.SearchAsync("AuditEvent", $"patient=Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var events = Events(response.Resource<Bundle>());
        Assert.That(events, Has.Count.EqualTo(4), "create, read, denied read, search");
        Assert.Multiple(() =>
        {
            Assert.That(events.Select(e => e.Recorded), Is.Ordered.Descending);
            Assert.That(events.Select(e => long.Parse(e.Id!)), Is.Ordered.Descending);
            Assert.That(events.Select(e => e.Subtype.Single().Code), Is.EqualTo(new[] { "search-type", "read", "read", "create" }));
            Assert.That(events[1].Outcome, Is.EqualTo(AuditEvent.AuditEventOutcome.N4), "the denied read (401)");
            Assert.That(events.All(e => e.Entity.Any(x => x.What?.Reference == $"Patient/{patient.Id}" && x.Role?.Code == "1")), Is.True);
        });
    }

    [Test]
    public async Task A_trace_is_BALP_shaped()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
        await Fhir.SearchAsync("DocumentReference", $"patient={patient.Id}");
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));

        var bundle = await asPatient.SearchBundleAsync("AuditEvent", $"patient={patient.Id}&_count=1");

        var trace = Events(bundle).Single();
        var agent = trace.Agent.Single(a => a.Requestor == true);
        Assert.Multiple(() =>
        {
            Assert.That((trace.Type.System, trace.Type.Code), Is.EqualTo(("http://terminology.hl7.org/CodeSystem/audit-event-type", "rest")));
            Assert.That(trace.Subtype.Select(c => (c.System, c.Code)),
                Is.EqualTo(new[] { ("http://hl7.org/fhir/restful-interaction", "search-type"), ("urn:ihe:event-type-code", "ITI-67") }),
                "the restful interaction, then the IHE MHD transaction (Find Document References)");
            Assert.That(trace.Action, Is.EqualTo(AuditEvent.AuditEventAction.E));
            Assert.That(trace.Outcome, Is.EqualTo(AuditEvent.AuditEventOutcome.N0));
            Assert.That(agent.Requestor, Is.True);
            Assert.That((agent.Who?.Identifier?.System, agent.Who?.Identifier?.Value), Is.EqualTo((Systems.IdNatPs, Tokens.DoctorIdNatPs)));
            Assert.That(agent.Name, Is.EqualTo("Dr Test"));
            Assert.That(agent.Role.SelectMany(r => r.Coding).Select(c => (c.System, c.Code)),
                Is.EqualTo(new[] { ("https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante", "10") }));
            Assert.That(agent.PurposeOfUse.SelectMany(p => p.Coding).Select(c => (c.System, c.Code)),
                Is.EqualTo(new[] { ("http://terminology.hl7.org/CodeSystem/v3-ActReason", "TREAT") }));
            Assert.That(trace.Source.Observer.Display, Is.EqualTo("DmpApi"));
            Assert.That(trace.Entity.Select(e => e.What?.Reference), Does.Contain($"Patient/{patient.Id}").And.Contain($"DocumentReference/{document.Id}"));
            var query = trace.Entity.Single(e => e.Role?.Code == "24").Query;
            Assert.That(Encoding.UTF8.GetString(query!), Is.EqualTo($"/fhir/DocumentReference?patient={patient.Id}"));
        });
    }

    [Test]
    public async Task The_patient_filters_their_traces_by_date_agent_and_outcome()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        const string otherIdNatPs = "810009999999";
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(otherIdNatPs).Build());
        await Fhir.As(Tokens.Professional(otherIdNatPs)).GetAsync($"fhir/Patient/{patient.Id}");
        await Fhir.As(Tokens.Professional(scope: "user/Patient.s")).GetAsync($"fhir/Patient/{patient.Id}");
        var since = Uri.EscapeDataString("ge" + DateTime.UtcNow.AddMinutes(-5).ToString("yyyy-MM-ddTHH:mm:ssZ"));

        // The patient's own searches are traced in the record too: the date search runs first.
        var recent = await asPatient.SearchBundleAsync("AuditEvent", $"patient={patient.Id}&date={since}");
        var old = await asPatient.SearchBundleAsync("AuditEvent", $"patient={patient.Id}&date=lt2020-01-01");
        var byAgent = await asPatient.SearchBundleAsync("AuditEvent", $"patient={patient.Id}&agent={Uri.EscapeDataString($"{Systems.IdNatPs}|{otherIdNatPs}")}");
        var denied = await asPatient.SearchBundleAsync("AuditEvent", $"patient={patient.Id}&outcome=4");
        var oldestFirst = await asPatient.SearchBundleAsync("AuditEvent", $"patient={patient.Id}&_sort=date");

        Assert.Multiple(() =>
        {
            Assert.That(Events(byAgent).Select(e => e.Agent.Single(a => a.Requestor == true).Who?.Identifier?.Value), Is.EqualTo(new[] { otherIdNatPs }));
            Assert.That(Events(denied).Select(e => e.OutcomeDesc), Is.EqualTo(new[] { "HTTP 403" }));
            Assert.That(recent.Entry, Has.Count.EqualTo(4), "create, the patient's permit, read, denied read");
            Assert.That(old.Entry, Is.Empty);
            Assert.That(Events(oldestFirst)[0].Subtype.Single().Code, Is.EqualTo("create"));
        });
    }

    [Test]
    public async Task The_patient_reads_one_of_their_traces_by_id_but_not_another_records()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var other = await CreatePatientAsync();
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        var own = (await RecordsAsync(q => q.Where(r => r.PatientId == patient.Id))).First();
        var foreign = (await RecordsAsync(q => q.Where(r => r.PatientId == other.Id))).First();

        var mine = await asPatient.GetAsync($"fhir/AuditEvent/{own.Id}");
        var theirs = await asPatient.GetAsync($"fhir/AuditEvent/{foreign.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(mine.Status, Is.EqualTo(HttpStatusCode.OK), mine.ToString());
            Assert.That(mine.Resource<AuditEvent>().Id, Is.EqualTo(own.Id.ToString()));
            Assert.That(theirs.Status, Is.EqualTo(HttpStatusCode.NotFound), "another record's trace looks absent");
        });
    }

    [Test]
    public async Task A_patient_cannot_search_the_traces_of_another_record()
    {
        var builder = new PatientBuilder();
        await CreatePatientAsync(builder);
        var other = await CreatePatientAsync();
        var before = await CountAsync();

        var response = await Fhir.As(Tokens.Patient(builder.Ins!)).SearchAsync("AuditEvent", $"patient={other.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That(await CountAsync(), Is.EqualTo(before + 1));
        Assert.That((await LastAsync()).PatientId, Is.EqualTo(other.Id), "the attempt is traced in the record it aimed at");
    }

    [Test]
    public async Task A_professional_gets_403_on_AuditEvent_and_the_refusal_is_traced()
    {
        var patient = await CreatePatientAsync();
        var before = await CountAsync();

        var search = await Fhir.SearchAsync("AuditEvent", $"patient={patient.Id}");
        var read = await Fhir.GetAsync("fhir/AuditEvent/1");

        Assert.Multiple(() =>
        {
            Assert.That(search.Status, Is.EqualTo(HttpStatusCode.Forbidden), search.ToString());
            Assert.That(search.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.Forbidden));
            Assert.That(search.Diagnostics, Does.Contain("Professionals cannot read access traces"));
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.Forbidden), read.ToString());
        });
        Assert.That(await CountAsync(), Is.EqualTo(before + 2));
        Assert.That((await LastAsync()).Outcome, Is.EqualTo(4));
    }

    [Test]
    public async Task An_AuditEvent_search_without_patient_answers_400()
    {
        var builder = new PatientBuilder();
        await CreatePatientAsync(builder);

        var response = await Fhir.As(Tokens.Patient(builder.Ins!)).SearchAsync("AuditEvent", "outcome=0");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.BadRequest), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("patient"));
    }

    [Test]
    public async Task The_CapabilityStatement_declares_AuditEvent_read_and_search_with_its_parameters()
    {
        var statement = (await Fhir.GetAsync("fhir/metadata")).Resource<CapabilityStatement>();

        var audit = statement.Rest.Single().Resource.Single(r => r.Type == "AuditEvent");
        Assert.Multiple(() =>
        {
            Assert.That(audit.Interaction.Select(i => i.Code), Is.EquivalentTo(new[]
            {
                CapabilityStatement.TypeRestfulInteraction.Read, CapabilityStatement.TypeRestfulInteraction.SearchType,
            }));
            Assert.That(audit.SearchParam.Select(p => p.Name), Is.EquivalentTo(new[] { "patient", "date", "agent", "outcome" }));
        });
    }

    private static List<AuditEvent> Events(Bundle bundle) => [.. bundle.Entry.Select(e => e.Resource).OfType<AuditEvent>()];

    [Test]
    public async Task A_read_denied_by_the_access_rules_is_traced_in_the_record_it_was_denied_on()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var response = await Fhir.As(Tokens.Professional("810008888888")).GetAsync($"fhir/DocumentReference/{document.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        var record = await LastAsync();
        Assert.Multiple(() =>
        {
            Assert.That(record.PatientId, Is.EqualTo(patient.Id));
            Assert.That(record.Outcome, Is.EqualTo(4));
            Assert.That(record.IdNatPs, Is.EqualTo("810008888888"));
        });
    }

    private Task<int> CountAsync() => WithDbAsync(db => db.AuditRecords.CountAsync());

    private Task<AuditRecord> LastAsync() => WithDbAsync(db => db.AuditRecords.AsNoTracking().OrderByDescending(r => r.Id).FirstAsync());

    private Task<List<AuditRecord>> RecordsAsync(Func<IQueryable<AuditRecord>, IQueryable<AuditRecord>> query) =>
        WithDbAsync(db => query(db.AuditRecords.AsNoTracking()).ToListAsync());

    private async Task<T> WithDbAsync<T>(Func<DmpDbContext, Task<T>> read)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await read(scope.ServiceProvider.GetRequiredService<DmpDbContext>());
    }
}

/// <summary>
/// DESIGN §2: if the trail cannot be written, the request fails with 503 and discloses nothing. The failures are played
/// by a test-only <see cref="IAuditBatchStore"/> in an application of its own over the fixture's database.
/// </summary>
public sealed class AuditTrailUnavailableTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task When_the_trail_cannot_be_committed_the_read_answers_503_and_discloses_nothing()
    {
        var patient = await CreatePatientAsync(new PatientBuilder().Named("Secretname", "Clinical"));
        await using var failing = App.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IAuditBatchStore, FailingStore>()));
        var fhir = new FhirHttp(failing.CreateClient(), Tokens.Professional());

        var response = await fhir.GetAsync($"fhir/Patient/{patient.Id}");

        AssertUnavailable(response, "Secretname", patient.Id!);
    }

    [Test]
    public async Task When_the_commit_does_not_come_in_time_the_read_answers_503_and_discloses_nothing()
    {
        var patient = await CreatePatientAsync(new PatientBuilder().Named("Secretname", "Clinical"));
        await using var stuck = App.WithWebHostBuilder(b => b
            .UseSetting("Audit:CommitTimeoutSeconds", "1")
            .ConfigureTestServices(s => s.AddSingleton<IAuditBatchStore, StuckStore>()));
        var fhir = new FhirHttp(stuck.CreateClient(), Tokens.Professional());

        var response = await fhir.SearchAsync("Patient", $"_id={patient.Id}");

        AssertUnavailable(response, "Secretname", patient.Id!);
    }

    [Test]
    public async Task A_denied_request_whose_trace_fails_answers_503_too()
    {
        await using var failing = App.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IAuditBatchStore, FailingStore>()));
        var fhir = new FhirHttp(failing.CreateClient(), null);

        var response = await fhir.GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), response.ToString());
    }

    internal static void AssertUnavailable(FhirResponse response, string secret, string id)
    {
        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), response.ToString());
        var issue = response.Outcome.Issue.Single();
        Assert.Multiple(() =>
        {
            Assert.That(issue.Code, Is.EqualTo(OperationOutcome.IssueType.Transient));
            Assert.That(issue.Diagnostics, Does.Contain("access trace").And.Contain("could not be recorded"));
            Assert.That(response.Text, Does.Not.Contain(secret).And.Not.Contain(id));
            Assert.That(response.ETag, Is.Null);
            Assert.That(response.ContentHeaders.LastModified, Is.Null);
        });
    }

    private sealed class FailingStore : IAuditBatchStore
    {
        public Task WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("Test: the database refuses the audit trail.");
    }

    private sealed class StuckStore : IAuditBatchStore
    {
        public Task WriteAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken) =>
            Task.Delay(TimeSpan.FromSeconds(2), cancellationToken); // past the 1 s deadline of the test
    }
}

/// <summary>The real writer over a database that has lost the AuditRecords table: requests answer 503, nothing is disclosed.</summary>
public sealed class AuditTableMissingTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task When_the_AuditRecords_table_is_gone_the_read_answers_503_and_discloses_nothing()
    {
        var patient = await CreatePatientAsync(new PatientBuilder().Named("Secretname", "Clinical"));
        await using (var scope = App.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<DmpDbContext>().Database.ExecuteSqlRawAsync("DROP TABLE \"AuditRecords\"");
        }

        var response = await Fhir.GetAsync($"fhir/Patient/{patient.Id}");

        AuditTrailUnavailableTests.AssertUnavailable(response, "Secretname", patient.Id!);
    }
}
