using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.IdentityModel.Tokens;

namespace DmpApi.Tests.Auth;

/// <summary>
/// Pro Santé Connect through a real OpenID Connect provider (discovery, JWKS, token and userinfo endpoints on a local
/// port), the patients' own provider beside it, and the development key beside both: the API validates each token
/// with its issuer's published keys and reads the requester through Auth:ClaimMappings.
/// </summary>
public sealed class ProSanteConnectTests(TestStore store) : StoreFixture(store)
{
    private readonly TestOpenIdProvider _psc = TestOpenIdProvider.StartAsync().GetAwaiter().GetResult();
    private readonly TestOpenIdProvider _patients = TestOpenIdProvider.StartAsync("patients").GetAwaiter().GetResult();

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:Authority"] = _psc.Issuer,
        ["Auth:Patient:Authority"] = _patients.Issuer,
        ["Auth:RequireHttpsMetadata"] = "false",
        // A rotation is picked up within a second here (five minutes by default).
        ["Auth:MetadataRefreshInterval"] = "00:00:01",
    };

    [OneTimeTearDown]
    public async Task StopProvidersAsync()
    {
        await _psc.DisposeAsync();
        await _patients.DisposeAsync();
    }

    [Test]
    public async Task A_PSC_token_is_read_through_the_mapping_idNatPs_from_the_token_and_the_profession_from_userinfo()
    {
        var account = new PscAccountBuilder().Practising("10");
        var asPsc = Fhir.As(await _psc.TokenAsync(account.Build()));
        var builder = new PatientBuilder();

        var patient = await asPsc.CreatedAsync(builder.Build());

        var agent = (await AuditOf(patient, builder)).Last().Agent.Single(a => a.Requestor == true);
        Assert.Multiple(() =>
        {
            Assert.That(agent.Who!.Identifier!.Value, Is.EqualTo(account.IdNatPs));
            Assert.That(agent.Role.Single().Coding.Single().Code, Is.EqualTo("10"));
        });
    }

    [Test]
    public async Task The_first_known_profession_of_several_practices_is_taken()
    {
        var account = new PscAccountBuilder().Practising("00", "21");
        var asPsc = Fhir.As(await _psc.TokenAsync(account.Build()));
        var builder = new PatientBuilder();

        var patient = await asPsc.CreatedAsync(builder.Build());

        var agent = (await AuditOf(patient, builder)).Last().Agent.Single(a => a.Requestor == true);
        Assert.That(agent.Role.Single().Coding.Single().Code, Is.EqualTo("21"));
    }

    [Test]
    public async Task A_PSC_account_without_a_known_profession_answers_401_naming_the_claim()
    {
        var token = await _psc.TokenAsync(new PscAccountBuilder().Practising("00").Build());

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("SubjectRefPro.exercices"));
    }

    [Test]
    public async Task Userinfo_is_fetched_once_per_token()
    {
        var asPsc = Fhir.As(await _psc.TokenAsync(new PscAccountBuilder().Build()));
        var before = _psc.UserInfoCalls;

        await asPsc.GetAsync($"fhir/Patient/{Guid.NewGuid():N}");
        await asPsc.GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(_psc.UserInfoCalls - before, Is.EqualTo(1));
    }

    [Test]
    public async Task Centre_15_access_is_allowed_to_a_doctor_holding_the_regulation_attribute()
    {
        var patient = await CreatePatientAsync();
        var token = await _psc.TokenAsync(new PscAccountBuilder().Regulating().InMode("centre_15").Build());

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
    }

    [Test]
    public async Task Centre_15_access_without_the_regulation_attribute_is_denied_saying_which_attribute_is_missing()
    {
        var patient = await CreatePatientAsync();
        var token = await _psc.TokenAsync(new PscAccountBuilder().InMode("centre_15").Build());

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("Acces_Regulation_Medicale"));
    }

    [Test]
    public async Task Bris_de_glace_without_a_justification_answers_403_asking_for_one()
    {
        var patient = await CreatePatientAsync();
        var token = await _psc.TokenAsync(new PscAccountBuilder().InMode("bris_de_glace").Build());

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Forbidden), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("justification").And.Contain("Mode_Acces_Raison"));
    }

    [Test]
    public async Task The_bris_de_glace_justification_is_kept_in_the_audit_record()
    {
        const string reason = "Patient inconscient aux urgences, aucun proche joignable";
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var token = await _psc.TokenAsync(new PscAccountBuilder().InMode("bris_de_glace", reason).Build());

        var response = await Fhir.As(token).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
        var purpose = (await AuditOf(patient, builder)).Last().Agent.Single(a => a.Requestor == true).PurposeOfUse.Single();
        Assert.Multiple(() =>
        {
            Assert.That(purpose.Coding.Single().Code, Is.EqualTo("BTG"));
            Assert.That(purpose.Text, Is.EqualTo(reason));
        });
    }

    [Test]
    public async Task A_patient_signs_in_through_their_own_provider_beside_PSC()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var account = new TestOpenIdProvider.Account("patient-" + builder.Ins, new Dictionary<string, object> { ["ins"] = builder.Ins! },
            new System.Text.Json.Nodes.JsonObject(), "openid patient/*.rs");

        var response = await Fhir.As(await _patients.TokenAsync(account)).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
    }

    [Test]
    public async Task Development_tokens_keep_working_beside_the_providers()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);

        var response = await Fhir.As(Tokens.Patient(builder.Ins!)).GetAsync($"fhir/Patient/{patient.Id}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.OK), response.ToString());
    }

    [Test]
    public async Task A_token_signed_by_a_new_key_is_accepted_once_the_JWKS_publishes_it()
    {
        _psc.RotateKey(retireOld: true);
        var token = await _psc.TokenAsync(new PscAccountBuilder().Build());

        var response = await UntilAcceptedAsync(token);

        Assert.That(response.Status, Is.Not.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
    }

    [Test]
    public async Task A_token_signed_by_a_retired_key_is_refused()
    {
        var account = new PscAccountBuilder().Build();
        var retired = _psc.SigningKey;
        _psc.RotateKey(retireOld: true);
        await UntilAcceptedAsync(await _psc.TokenAsync(account)); // the API has fetched the keys without the retired one

        var response = await Fhir.As(_psc.Forge(account, retired)).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
        Assert.That(response.Diagnostics, Does.Contain("signature"));
    }

    [Test]
    public async Task A_token_signed_by_a_key_the_provider_never_published_is_refused()
    {
        var account = new PscAccountBuilder().Build();
        var stranger = new RsaSecurityKey(System.Security.Cryptography.RSA.Create(2048)) { KeyId = _psc.SigningKey.KeyId };

        var response = await Fhir.As(_psc.Forge(account, stranger)).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(response.Status, Is.EqualTo(HttpStatusCode.Unauthorized), response.ToString());
    }

    [TestCase("/.well-known/smart-configuration")]
    [TestCase("/fhir/.well-known/smart-configuration")]
    public async Task Smart_configuration_is_published_without_a_token_from_the_providers_discovery(string path)
    {
        using var http = App.CreateClient();

        using var response = await http.GetAsync(path);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        var document = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Multiple(() =>
        {
            Assert.That(document["issuer"]!.GetValue<string>(), Is.EqualTo(_psc.Issuer));
            Assert.That(document["jwks_uri"]!.GetValue<string>(), Is.EqualTo(_psc.Issuer + "/protocol/openid-connect/certs"));
            Assert.That(document["authorization_endpoint"]!.GetValue<string>(), Is.EqualTo(_psc.Issuer + "/protocol/openid-connect/auth"));
            Assert.That(document["token_endpoint"]!.GetValue<string>(), Is.EqualTo(_psc.Issuer + "/protocol/openid-connect/token"));
            Assert.That(document["grant_types_supported"]!.AsArray().Select(g => g!.GetValue<string>()), Does.Contain("authorization_code"));
            Assert.That(document["scopes_supported"]!.AsArray().Select(g => g!.GetValue<string>()), Does.Contain("user/*.cruds"));
            Assert.That(document["capabilities"]!.AsArray().Select(g => g!.GetValue<string>()), Does.Contain("permission-v2"));
        });
    }

    [Test]
    public async Task The_CapabilityStatement_names_the_providers_authorize_and_token_endpoints()
    {
        var statement = (await Fhir.As(null).GetAsync("fhir/metadata")).Resource<CapabilityStatement>();

        var uris = statement.Rest.Single().Security.GetExtension("http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris");
        Assert.Multiple(() =>
        {
            Assert.That(uris.GetExtensionValue<FhirUri>("authorize").Value, Is.EqualTo(_psc.Issuer + "/protocol/openid-connect/auth"));
            Assert.That(uris.GetExtensionValue<FhirUri>("token").Value, Is.EqualTo(_psc.Issuer + "/protocol/openid-connect/token"));
        });
    }

    /// <summary>A key rotation is picked up when a token names an unknown key: the API refetches the JWKS (at most once a second here).</summary>
    private async Task<FhirResponse> UntilAcceptedAsync(string token)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var response = await Fhir.As(token).GetAsync($"fhir/Patient/{Guid.NewGuid():N}");
            if (response.Status != HttpStatusCode.Unauthorized || DateTime.UtcNow > deadline)
            {
                return response;
            }

            await System.Threading.Tasks.Task.Delay(250);
        }
    }

    private async Task<List<AuditEvent>> AuditOf(Patient patient, PatientBuilder builder)
    {
        var bundle = await Fhir.As(Tokens.Patient(builder.Ins!)).SearchBundleAsync("AuditEvent", $"patient=Patient/{patient.Id}&_sort=date");
        return bundle.Entry.Select(e => e.Resource).OfType<AuditEvent>().ToList();
    }
}
