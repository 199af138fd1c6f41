using System.Net;
using DmpApi.Audit;
using DmpApi.Auth;
using DmpApi.Tests.Infrastructure;
using DmpApi.Tests.Reliability;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.DependencyInjection;
using Claim = System.Security.Claims.Claim;

namespace DmpApi.Tests.Integration;

/// <summary>Bearer tokens and SMART scopes (DESIGN §3): 401 with an OperationOutcome for a bad token, 403 for a missing scope.</summary>
public sealed class AuthenticationTests(TestStore store) : StoreFixture(store)
{
    [Test]
    public async Task A_request_without_token_answers_401_with_an_OperationOutcome_and_WWW_Authenticate_Bearer()
    {
        var response = await Fhir.As(null).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(response.Headers.WwwAuthenticate.Select(h => h.Scheme), Is.EqualTo(new[] { "Bearer" }));
            Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.Login));
        });
    }

    [Test]
    public async Task A_create_without_token_answers_401_and_stores_nothing()
    {
        var builder = new PatientBuilder();

        var response = await Fhir.As(null).CreateAsync(builder.Build());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        var bundle = await Fhir.SearchBundleAsync("Patient", $"identifier={Uri.EscapeDataString($"{DmpApi.Patients.Ins.NirSystem}|{builder.Ins}")}");
        Assert.That(bundle.Entry, Is.Empty);
    }

    [Test]
    public async Task A_token_signed_with_another_key_answers_401()
    {
        var options = Options(o => o.SigningKey = "another-signing-key-of-at-least-32-bytes-long!!");
        var token = Tokens.With(DevelopmentTokens.Professional(Tokens.DoctorIdNatPs, "10"), options);

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        Assert.That(response.Outcome.Issue, Is.Not.Empty);
    }

    [Test]
    public async Task An_expired_token_answers_401()
    {
        var token = Tokens.With(DevelopmentTokens.Professional(Tokens.DoctorIdNatPs, "10"),
            notBefore: DateTime.UtcNow.AddHours(-2), expires: DateTime.UtcNow.AddHours(-1));

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("expired"));
    }

    [Test]
    public async Task A_token_for_another_audience_answers_401()
    {
        var token = Tokens.With(DevelopmentTokens.Professional(Tokens.DoctorIdNatPs, "10"), Options(o => o.Audience = "another-api"));

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("audience"));
    }

    [Test]
    public async Task A_token_from_another_issuer_answers_401()
    {
        var token = Tokens.With(DevelopmentTokens.Professional(Tokens.DoctorIdNatPs, "10"), Options(o => o.Issuer = "someone-else"));

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("issuer"));
    }

    [Test]
    public async Task A_token_naming_neither_a_professional_nor_a_patient_answers_401()
    {
        var token = Tokens.With([new Claim("sub", "someone"), new Claim("scope", "user/*.cruds")]);

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("neither"));
    }

    [Test]
    public async Task A_token_naming_both_a_professional_and_a_patient_answers_401()
    {
        var token = Tokens.With(DevelopmentTokens.Professional(Tokens.DoctorIdNatPs, "10").Append(new Claim("ins", TestIns.New())));

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
    }

    [Test]
    public async Task A_token_with_an_unknown_profession_answers_401()
    {
        var token = Tokens.Professional(profession: "99999");

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("profession"));
    }

    [Test]
    public async Task A_token_with_an_unknown_purpose_of_use_answers_401()
    {
        var token = Tokens.With(DevelopmentTokens.Professional(Tokens.DoctorIdNatPs, "10", purpose: "SHOPPING"));

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
    }

    [Test]
    public async Task A_token_in_the_query_string_is_refused()
    {
        var response = await Fhir.GetAsync($"fhir/Patient/{Guid.NewGuid():N}?access_token={Tokens.Professional()}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
    }

    [Test]
    public async Task A_read_only_scope_cannot_create_and_gets_403_with_an_OperationOutcome()
    {
        var reader = Fhir.As(Tokens.Professional(scope: "user/*.rs"));

        var response = await reader.CreateAsync(new PatientBuilder().Build());

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.Forbidden));
    }

    [Test]
    public async Task A_read_only_scope_can_read_and_search()
    {
        var patient = await CreatePatientAsync();
        var reader = Fhir.As(Tokens.Professional(scope: "user/*.rs"));

        var read = await reader.GetAsync($"fhir/Patient/{patient.Id}");
        var search = await reader.SearchAsync("Patient", $"_id={patient.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK), read.ToString());
            Assert.That(search.Status, Is.EqualTo(HttpStatusCode.OK), search.ToString());
        });
    }

    [Test]
    public async Task A_scope_for_another_type_gets_403()
    {
        var patient = await CreatePatientAsync();
        var documentsOnly = Fhir.As(Tokens.Professional(scope: "user/DocumentReference.cruds"));

        var response = await documentsOnly.GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
    }

    [Test]
    public async Task A_token_without_scope_gets_403()
    {
        var token = Tokens.With([new Claim("sub", "x"), new Claim("idnps", Tokens.DoctorIdNatPs), new Claim("profession", "10")]);

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
    }

    [Test]
    public async Task A_patient_token_is_accepted()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);

        var response = await Fhir.As(Tokens.Patient(builder.Ins!)).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
    }

    [Test]
    public async Task Metadata_needs_no_token_and_lists_the_four_types_with_their_search_parameters()
    {
        var response = await Fhir.As(null).GetAsync("fhir/metadata");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var statement = response.Resource<CapabilityStatement>();
        var resources = statement.Rest.Single().Resource.ToDictionary(r => r.Type ?? "(no type)");
        Assert.Multiple(() =>
        {
            Assert.That(resources.Keys, Is.SupersetOf(new[] { "Patient", "DocumentReference", "AllergyIntolerance", "Consent" }));
            Assert.That(resources["DocumentReference"].SearchParam.Select(p => p.Name),
                Is.SupersetOf(new[] { "patient", "status", "type", "category", "date", "period", "security-label", "isArchived", "_id", "_lastUpdated" }));
            Assert.That(resources["Patient"].SearchParam.Select(p => p.Name), Is.SupersetOf(new[] { "identifier", "name", "family", "given" }));
            Assert.That(resources["AllergyIntolerance"].SearchParam.Select(p => p.Name), Does.Contain("patient"));
            Assert.That(resources["Consent"].SearchParam.Select(p => p.Name), Does.Contain("patient"));
            Assert.That(statement.FhirVersion, Is.EqualTo(FHIRVersion.N4_0_1));
        });
    }

    [Test]
    public async Task Healthz_answers_200_without_token()
    {
        var response = await Fhir.As(null).GetAsync("healthz");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
    }

    [Test]
    public async Task An_unsigned_token_with_alg_none_answers_401()
    {
        var token = HostileTokens.Unsigned(DevelopmentTokens.Professional(Tokens.DoctorIdNatPs, "10"));

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.Login));
    }

    [Test]
    public async Task A_token_signed_with_the_right_key_but_another_HMAC_algorithm_answers_401()
    {
        var token = HostileTokens.Hmac(DevelopmentTokens.Professional(Tokens.DoctorIdNatPs, "10"), "HS384");

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.Login));
    }

    [Test]
    public async Task A_token_not_valid_yet_answers_401()
    {
        var token = Tokens.With(DevelopmentTokens.Professional(Tokens.DoctorIdNatPs, "10"),
            notBefore: DateTime.UtcNow.AddHours(1), expires: DateTime.UtcNow.AddHours(2));

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("not valid yet"));
    }

    [Test]
    public async Task A_token_in_the_query_string_is_not_written_to_the_audit_trail()
    {
        var token = Tokens.Professional();

        var response = await Fhir.As(null).GetAsync($"fhir/Patient/{Guid.NewGuid():N}?access_token={token}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        var trace = await LastAuditRecordAsync();
        Assert.Multiple(() =>
        {
            Assert.That(trace.HttpStatus, Is.EqualTo(401));
            Assert.That(trace.Path, Does.Not.Contain(token.Split('.')[2]), "the token's signature");
            Assert.That(trace.Path, Does.Contain("access_token=%5Bredacted%5D"));
        });
    }

    [Test]
    public async Task A_token_in_the_query_string_is_not_written_to_the_logs_at_the_shipped_levels()
    {
        var logs = new CapturedLogs();
        // The levels appsettings.json ships: Information, and Warning for Microsoft.AspNetCore (whose hosting log would show the URL).
        await using var app = App.WithWebHostBuilder(b => b
            .UseSetting("Logging:LogLevel:Default", "Information")
            .UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Warning")
            .ConfigureLogging(l => l.AddProvider(logs)));
        using var client = app.CreateClient();
        var token = Tokens.Professional();

        var response = await new FhirHttp(client, null).GetAsync($"fhir/Patient/{Guid.NewGuid():N}?access_token={token}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        Assert.That(logs.Messages, Is.Not.Empty, "Arrange: the capture sees the application's logs");
        Assert.That(logs.Messages, Has.None.Contains(token.Split('.')[2]), "the token's signature");
    }

    /// <summary>Every kind of refused token (DESIGN §3), each of which must leave a denied-access trace (DMP-RULES §4).</summary>
    public static IEnumerable<TestCaseData> RefusedTokens()
    {
        var doctor = DevelopmentTokens.Professional(Tokens.DoctorIdNatPs, "10").ToList();
        yield return new TestCaseData((Func<string?>)(() => null)).SetArgDisplayNames("no token");
        yield return new TestCaseData((Func<string?>)(() => "not-a-jwt")).SetArgDisplayNames("not a JWT");
        yield return new TestCaseData((Func<string?>)(() => HostileTokens.Unsigned(doctor))).SetArgDisplayNames("alg none");
        yield return new TestCaseData((Func<string?>)(() => HostileTokens.Hmac(doctor, "HS384"))).SetArgDisplayNames("HS384");
        yield return new TestCaseData((Func<string?>)(() => HostileTokens.ConfusedRs256(doctor))).SetArgDisplayNames("RS256 header, HMAC signature");
        yield return new TestCaseData((Func<string?>)(() => HostileTokens.Rsa(doctor))).SetArgDisplayNames("RSA key of its own");
        yield return new TestCaseData((Func<string?>)(() => Tokens.With(doctor, Options(o => o.SigningKey = "another-signing-key-of-at-least-32-bytes-long!!")))).SetArgDisplayNames("wrong key");
        yield return new TestCaseData((Func<string?>)(() => Tokens.With(doctor, notBefore: DateTime.UtcNow.AddHours(-2), expires: DateTime.UtcNow.AddHours(-1)))).SetArgDisplayNames("expired");
        yield return new TestCaseData((Func<string?>)(() => Tokens.With(doctor, notBefore: DateTime.UtcNow.AddHours(1), expires: DateTime.UtcNow.AddHours(2)))).SetArgDisplayNames("not yet valid");
        yield return new TestCaseData((Func<string?>)(() => Tokens.With(doctor, Options(o => o.Issuer = "someone-else")))).SetArgDisplayNames("wrong issuer");
        yield return new TestCaseData((Func<string?>)(() => Tokens.With(doctor, Options(o => o.Audience = "another-api")))).SetArgDisplayNames("wrong audience");
        yield return new TestCaseData((Func<string?>)(() => Tokens.With([new Claim("sub", "someone"), new Claim("scope", "user/*.cruds")]))).SetArgDisplayNames("neither idnps nor ins");
        yield return new TestCaseData((Func<string?>)(() => Tokens.With(doctor.Append(new Claim("ins", TestIns.New()))))).SetArgDisplayNames("both idnps and ins");
        yield return new TestCaseData((Func<string?>)(() => Tokens.Professional(profession: "99999"))).SetArgDisplayNames("unknown profession");
        yield return new TestCaseData((Func<string?>)(() => Tokens.With(DevelopmentTokens.Professional(Tokens.DoctorIdNatPs, "10", purpose: "SHOPPING")))).SetArgDisplayNames("unknown purpose");
    }

    [TestCaseSource(nameof(RefusedTokens))]
    public async Task A_refused_token_leaves_one_anonymous_denied_access_trace_with_the_client_address(Func<string?> token)
    {
        var patient = await CreatePatientAsync();
        var before = await AuditCountAsync();

        var client = IPAddress.Parse("203.0.113.7");
        var bearer = token();

        // Through the test server directly, to give the request a client address (the in-memory client has none).
        var context = await App.Server.SendAsync(c =>
        {
            c.Request.Method = "GET";
            c.Request.Path = $"/fhir/Patient/{patient.Id}";
            if (bearer is not null)
            {
                c.Request.Headers.Authorization = "Bearer " + bearer;
            }

            c.Connection.RemoteIpAddress = client;
        });

        Assert.That(context.Response.StatusCode, Is.EqualTo(401));
        Assert.That(await AuditCountAsync(), Is.EqualTo(before + 1));
        var trace = await LastAuditRecordAsync();
        Assert.Multiple(() =>
        {
            Assert.That(trace.HttpStatus, Is.EqualTo(401));
            Assert.That(trace.Outcome, Is.EqualTo(4), "BALP minor failure: denied");
            Assert.That(trace.RequesterKind, Is.EqualTo(DmpApi.Audit.AuditRecord.Anonymous), "no identity is taken from a refused token");
            Assert.That(trace.IdNatPs, Is.Null);
            Assert.That(trace.Ins, Is.Null);
            Assert.That(trace.ClientAddress, Is.EqualTo(client.ToString()), "without an identity, the client address");
            Assert.That(trace.PatientId, Is.EqualTo(patient.Id));
            Assert.That(trace.Resources, Is.Empty);
        });
    }

    private async Task<int> AuditCountAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DmpApi.Storage.DmpDbContext>().AuditRecords.CountAsync();
    }

    private async Task<DmpApi.Audit.AuditRecord> LastAuditRecordAsync()
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DmpApi.Storage.DmpDbContext>().AuditRecords.AsNoTracking()
            .OrderByDescending(r => r.Id).FirstAsync();
    }

    private static AuthOptions Options(Action<AuthOptions> change)
    {
        var options = new AuthOptions
        {
            SigningKey = DmpApiApplication.Auth.SigningKey,
            Issuer = DmpApiApplication.Auth.Issuer,
            Audience = DmpApiApplication.Auth.Audience,
        };
        change(options);
        return options;
    }
}

/// <summary>Routing answers under /fhir are OperationOutcomes too (DESIGN §4 "Errors").</summary>
public sealed class RoutingTests(TestStore store) : StoreFixture(store)
{
    [TestCase("fhir/Questionnaire")]
    [TestCase("fhir/Patient/some-id/no-such-thing")]
    public async Task An_unknown_route_answers_404_with_an_OperationOutcome(string path)
    {
        var response = await Fhir.GetAsync(path);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), response.ToString());
        Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.NotSupported));
    }

    [Test]
    public async Task An_unsupported_method_answers_405_with_an_OperationOutcome()
    {
        var response = await Fhir.SendAsync(HttpMethod.Delete, "fhir/Patient", null, null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.MethodNotAllowed), response.ToString());
        Assert.That(response.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.NotSupported));
    }

    [Test]
    public async Task An_unsupported_method_on_an_instance_answers_405_with_an_OperationOutcome()
    {
        var response = await Fhir.SendAsync(HttpMethod.Post, $"fhir/Patient/{Guid.NewGuid():N}", null, null);

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.MethodNotAllowed), response.ToString());
        Assert.That(response.Outcome.Issue, Is.Not.Empty);
    }
}
