using System.Net;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Hl7.Fhir.Rest;

namespace DmpApi.Tests.Integration;

/// <summary>
/// PDSm metadata updates (ANS IG input/pagecontent/st_maj.md): FHIRPath Patch (a Parameters body), conditional PATCH by
/// business identifier, and the answer codes PDSm gives (405 for another element, 404 none, 412 several).
/// </summary>
public sealed class FhirPathPatchTests(TestStore store) : StoreFixture(store)
{
    private const string Reader = "810006200001";

    private Task<FhirResponse> PatchAsync(string url, Parameters patch, FhirHttp? client = null) =>
        (client ?? Fhir).SendAsync(HttpMethod.Patch, url, FhirHttp.JsonContent(patch), null);

    private static Parameters Patch(Action<Parameters> build)
    {
        var patch = new Parameters();
        build(patch);
        return patch;
    }

    private async Task<DocumentReference> DocumentWithIdentifierAsync(Patient patient, string value)
    {
        var document = DocumentBuilder.For(patient).Build();
        document.MasterIdentifier = new Identifier("urn:ietf:rfc:3986", value);
        return await Fhir.CreatedAsync(document);
    }

    [Test]
    public async Task The_author_changes_status_and_archive_flag_with_a_FHIRPath_Patch()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
        // PDSm st_maj.md: an extension not yet present is added to DocumentReference, its value given by parts.
        var patch = Patch(p => p.AddReplacePatchParameter("DocumentReference.status", new Code("superseded")).AddBooleanExtension(Archive, true));

        var patched = await PatchAsync($"fhir/DocumentReference/{document.Id}", patch);
        var after = (await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}")).Resource<DocumentReference>();

        Assert.Multiple(() =>
        {
            Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.OK), patched.ToString());
            Assert.That(after.Status, Is.EqualTo(DocumentReferenceStatus.Superseded));
            Assert.That(after.GetExtensionValue<FhirBoolean>(Archive)?.Value, Is.True);
            Assert.That(after.Meta!.VersionId, Is.EqualTo("2"));
        });
    }

    [Test]
    public async Task Every_patch_format_the_CapabilityStatement_declares_changes_a_document()
    {
        var patient = await CreatePatientAsync();
        var formats = (await Fhir.As(null).GetAsync("fhir/metadata")).Resource<CapabilityStatement>().PatchFormat.Select(f => f ?? "(none)").ToList();
        var statusPatch = Patch(p => p.AddReplacePatchParameter("DocumentReference.status", new Code("superseded")));
        var bodies = new Dictionary<string, Func<HttpContent>>
        {
            ["application/fhir+json"] = () => FhirHttp.JsonContent(statusPatch),
            ["application/fhir+xml"] = () => FhirHttp.XmlContent(statusPatch),
            ["application/json-patch+json"] = () => FhirHttp.Body("""[{"op":"replace","path":"/status","value":"superseded"}]""", "application/json-patch+json"),
        };

        Assert.That(formats, Is.Not.Empty);
        foreach (var format in formats)
        {
            Assert.That(bodies, Contains.Key(format), $"patchFormat {format}: teach this test a body in that format.");
            var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
            var patched = await Fhir.SendAsync(HttpMethod.Patch, $"fhir/DocumentReference/{document.Id}", bodies[format](), null);
            var after = (await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}")).Resource<DocumentReference>();

            Assert.Multiple(() =>
            {
                Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.OK), $"{format}: {patched}");
                Assert.That(after.Status, Is.EqualTo(DocumentReferenceStatus.Superseded), format);
            });
        }
    }

    [Test]
    public async Task The_patient_masks_a_document_with_a_FHIRPath_Patch_and_a_permitted_professional_no_longer_sees_it()
    {
        var (patient, _, asPatient) = await RecordPermittingAsync(Reader);
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var patch = Patch(p => p.AddAddPatchParameter("DocumentReference", "securityLabel",
            new CodeableConcept(Systems.Visibility, "MASQUE_PS")));

        var patched = await PatchAsync($"fhir/DocumentReference/{document.Id}", patch, asPatient);
        var read = await Fhir.As(Tokens.Professional(Reader)).GetAsync($"fhir/DocumentReference/{document.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.OK), patched.ToString());
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task A_FHIRPath_Patch_of_another_element_is_refused_with_405_and_changes_nothing()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var patched = await PatchAsync($"fhir/DocumentReference/{document.Id}",
            Patch(p => p.AddReplacePatchParameter("DocumentReference.type.coding[0].code", new Code("34112-3"))));
        var after = (await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}")).Resource<DocumentReference>();

        Assert.Multiple(() =>
        {
            Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.MethodNotAllowed), patched.ToString());
            Assert.That(after.Meta!.VersionId, Is.EqualTo("1"));
        });
    }

    [Test]
    public async Task Replacing_what_is_not_there_answers_422_and_an_unknown_operation_400()
    {
        var patient = await CreatePatientAsync();
        var document = await CreateDocumentAsync(DocumentBuilder.For(patient));
        var unknown = Patch(p => p.AddDeletePatchParameter("DocumentReference.status"));
        unknown.Parameter[0].Part.Single(x => x.Name == "type").Value = new Code("upsert");

        var absent = await PatchAsync($"fhir/DocumentReference/{document.Id}",
            Patch(p => p.AddReplacePatchParameter($"DocumentReference.extension.where(url='{Archive}').value", new FhirBoolean(true))));
        var malformed = await PatchAsync($"fhir/DocumentReference/{document.Id}", unknown);

        Assert.Multiple(() =>
        {
            Assert.That(absent.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), absent.ToString());
            Assert.That(malformed.Status, Is.EqualTo(HttpStatusCode.BadRequest), malformed.ToString());
        });
    }

    [Test]
    public async Task A_conditional_patch_finds_the_document_by_its_identifier()
    {
        var patient = await CreatePatientAsync();
        var value = "urn:oid:1.2.250.1.999.7." + Guid.NewGuid().ToString("N")[..12];
        var document = await DocumentWithIdentifierAsync(patient, value);

        var patched = await PatchAsync($"fhir/DocumentReference?identifier=urn:ietf:rfc:3986|{value}",
            Patch(p => p.AddReplacePatchParameter("DocumentReference.status", new Code("superseded"))));
        var after = (await Fhir.GetAsync($"fhir/DocumentReference/{document.Id}")).Resource<DocumentReference>();

        Assert.Multiple(() =>
        {
            Assert.That(patched.Status, Is.EqualTo(HttpStatusCode.OK), patched.ToString());
            Assert.That(after.Status, Is.EqualTo(DocumentReferenceStatus.Superseded));
        });
    }

    [Test]
    public async Task A_conditional_patch_answers_404_for_no_match_or_a_hidden_one_and_412_for_several()
    {
        var (patient, _, _) = await RecordPermittingAsync(Reader);
        var shared = "urn:oid:1.2.250.1.999.8." + Guid.NewGuid().ToString("N")[..12];
        await DocumentWithIdentifierAsync(patient, shared);
        // A uniqueId is registered once (XDSDuplicateUniqueIdInRegistry); another document may still carry it among its identifiers.
        var twin = DocumentBuilder.For(patient).Build();
        twin.Identifier.Add(new Identifier("urn:ietf:rfc:3986", shared));
        await Fhir.CreatedAsync(twin);
        var masked = "urn:oid:1.2.250.1.999.9." + Guid.NewGuid().ToString("N")[..12];
        var hidden = DocumentBuilder.For(patient).SecurityLabel(Systems.Visibility, "MASQUE_PS").Build();
        hidden.MasterIdentifier = new Identifier("urn:ietf:rfc:3986", masked);
        await Fhir.CreatedAsync(hidden);
        var withdraw = Patch(p => p.AddReplacePatchParameter("DocumentReference.status", new Code("superseded")));

        var none = await PatchAsync("fhir/DocumentReference?identifier=urn:ietf:rfc:3986|urn:oid:1.2.250.1.999.0.404", withdraw);
        var several = await PatchAsync($"fhir/DocumentReference?identifier=urn:ietf:rfc:3986|{shared}", withdraw);
        var notSeen = await PatchAsync($"fhir/DocumentReference?identifier=urn:ietf:rfc:3986|{masked}", withdraw, Fhir.As(Tokens.Professional(Reader)));

        Assert.Multiple(() =>
        {
            Assert.That(none.Status, Is.EqualTo(HttpStatusCode.NotFound), none.ToString());
            Assert.That(several.Status, Is.EqualTo(HttpStatusCode.PreconditionFailed), several.ToString());
            Assert.That(notSeen.Status, Is.EqualTo(HttpStatusCode.NotFound), "a hidden document is absent");
        });
    }

    private const string Archive = "http://esante.gouv.fr/cisis/fhir/StructureDefinition/PDSm_isArchived";
}
