using System.Net;
using DmpApi.Auth;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
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
    [TestCase("fhir/Observation")]
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
