using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace DmpApi.ContractTests.Operations;

/// <summary>A resource a probe works on, in a record of its own, with the token of whoever may act on it.</summary>
internal sealed record Seeded(string Type, string Id, string PatientId, string Ins, string Token, string? BinaryId = null, string? DocumentId = null);

/// <summary>
/// Builds the data a probe needs through the public API only, as an integrator would: a fresh record (random INS) opened
/// by the test médecin, then the resource of the type under test in it.
/// </summary>
internal static class Records
{
    public static readonly string Doctor = LiveServer.Professional();
    private const string Pdf = "JVBERi0xLjQKJSBjb250cmF0CiUlRU9GCg=="; // "%PDF-1.4\n% contrat\n%%EOF\n"

    /// <summary>The search parameter that names the record, for a professional's search (DESIGN §4).</summary>
    public static string RecordParameter(string type) => type == "Patient" ? "_id" : "patient";

    public static async Task<(string Id, string Ins)> NewRecordAsync()
    {
        var ins = InsNir.Random();
        var created = await SendAsync(HttpMethod.Post, "Patient", Doctor, Body(NewPatient(ins)));
        return (created["id"]!.GetValue<string>(), ins);
    }

    /// <summary>A resource of the type in a new record; AuditEvent and Communication are what the server writes about it.</summary>
    public static async Task<Seeded> SeedAsync(string type, string contentType = "application/pdf")
    {
        var (patientId, ins) = await NewRecordAsync();
        var patientToken = LiveServer.Patient(ins);
        switch (type)
        {
            case "Patient":
                return new Seeded(type, patientId, patientId, ins, Doctor);
            case "AuditEvent":
                return new Seeded(type, await FirstMatchAsync($"AuditEvent?patient={patientId}", patientToken), patientId, ins, patientToken);
            case "Communication":
                // An emergency access is notified to the patient (DMP-RULES §4).
                await SendAsync(HttpMethod.Get, $"Patient/{patientId}", LiveServer.Professional("810005550001", purpose: "BTG"));
                return new Seeded(type, await FirstMatchAsync($"Communication?patient={patientId}", patientToken), patientId, ins, patientToken);
            case "RelatedPerson":
                // A legal representative is the family's to change or end (issue 14): the holder's token manages it.
                var representative = await SendAsync(HttpMethod.Post, type, patientToken, Body(NewResource(type, ins)));
                return new Seeded(type, representative["id"]!.GetValue<string>(), patientId, ins, patientToken);
            case "Binary":
                var document = await SeedAsync("DocumentReference", contentType);
                return document with { Type = "Binary", Id = document.BinaryId!, DocumentId = document.Id };
            default:
                var resource = await SendAsync(HttpMethod.Post, type, Doctor, Body(NewResource(type, ins, contentType)));
                var binary = resource["content"]?[0]?["attachment"]?["url"]?.GetValue<string>().Split('/').Last();
                return new Seeded(type, resource["id"]!.GetValue<string>(), patientId, ins, Doctor, binary);
        }
    }

    public static JsonObject NewPatient(string ins) => new()
    {
        ["resourceType"] = "Patient",
        ["identifier"] = new JsonArray(new JsonObject { ["system"] = InsNir.System, ["value"] = ins }),
        ["name"] = new JsonArray(new JsonObject { ["family"] = "CONTRAT", ["given"] = new JsonArray("Camille") }),
        ["gender"] = "female",
        ["birthDate"] = "1971-04-02",
    };

    /// <summary>A minimal valid resource of a clinical type in the record with this INS (referenced by identifier).</summary>
    public static JsonObject NewResource(string type, string ins, string contentType = "application/pdf")
    {
        var record = new JsonObject { ["identifier"] = new JsonObject { ["system"] = InsNir.System, ["value"] = ins } };
        return type switch
        {
            "Patient" => NewPatient(ins),
            "DocumentReference" => new JsonObject
            {
                ["resourceType"] = type,
                // The business identifier PDSm's conditional PATCH names the document by.
                ["masterIdentifier"] = new JsonObject { ["system"] = "urn:ietf:rfc:3986", ["value"] = $"urn:uuid:{Guid.NewGuid()}" },
                ["status"] = "current",
                ["type"] = Concept("http://loinc.org", "11488-4"),
                ["category"] = new JsonArray(Concept("https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument", "10")),
                ["subject"] = record,
                ["date"] = "2026-11-20T10:00:00+01:00",
                ["content"] = new JsonArray(new JsonObject { ["attachment"] = new JsonObject { ["contentType"] = contentType, ["data"] = Pdf } }),
            },
            // An IHE MHD Folder of the record (PDSm_FolderComprehensive), filing nothing yet.
            "List" => new JsonObject
            {
                ["resourceType"] = type,
                ["status"] = "current",
                ["mode"] = "working",
                ["code"] = Concept("https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes", "folder"),
                ["subject"] = record,
                ["date"] = "2026-11-20T10:00:00+01:00",
            },
            "AllergyIntolerance" => new JsonObject
            {
                ["resourceType"] = type,
                // ait-1 (FHIR R4): a clinicalStatus unless entered in error.
                ["clinicalStatus"] = Concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
                ["code"] = Concept("http://snomed.info/sct", "764146007"),
                ["patient"] = record,
            },
            "Consent" => new JsonObject
            {
                ["resourceType"] = type,
                ["status"] = "active",
                ["scope"] = Concept("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"),
                ["category"] = new JsonArray(Concept("http://loinc.org", "59284-0")),
                ["patient"] = record,
                // ppc-1 (FHIR R4): a policy or a policyRule.
                ["policyRule"] = Concept("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN"),
                ["provision"] = new JsonObject
                {
                    ["type"] = "permit",
                    ["actor"] = new JsonArray(new JsonObject
                    {
                        ["role"] = Concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"),
                        ["reference"] = new JsonObject { ["identifier"] = new JsonObject { ["system"] = "urn:oid:1.2.250.1.71.4.2.1", ["value"] = LiveServer.Doctor } },
                    }),
                    ["purpose"] = new JsonArray(new JsonObject { ["system"] = "http://terminology.hl7.org/CodeSystem/v3-ActReason", ["code"] = "TREAT" }),
                },
            },
            "RelatedPerson" => new JsonObject
            {
                ["resourceType"] = type,
                ["active"] = true,
                ["patient"] = record,
                ["identifier"] = new JsonArray(new JsonObject { ["system"] = InsNir.System, ["value"] = InsNir.Random() }),
                ["relationship"] = new JsonArray(Concept("http://terminology.hl7.org/CodeSystem/v3-RoleCode", "MTH")),
            },
            // The health profile (issue 15): an antécédent, a treatment, a vaccination, a measurement (LOINC, UCUM).
            "Condition" => new JsonObject { ["resourceType"] = type, ["code"] = Concept("http://hl7.org/fhir/sid/icd-10", "E11"), ["subject"] = record },
            "MedicationStatement" => new JsonObject
            {
                ["resourceType"] = type, ["status"] = "active", ["medicationCodeableConcept"] = Concept("urn:oid:1.2.250.1.213.2.3.1", "60234100"), ["subject"] = record,
            },
            "Immunization" => new JsonObject
            {
                ["resourceType"] = type, ["status"] = "completed", ["vaccineCode"] = Concept("http://hl7.org/fhir/sid/cvx", "88"), ["patient"] = record,
                ["occurrenceDateTime"] = "2026-10-21",
            },
            "Observation" => new JsonObject
            {
                ["resourceType"] = type, ["status"] = "final", ["code"] = Concept("http://loinc.org", "29463-7"), ["subject"] = record,
                ["effectiveDateTime"] = "2026-11-20T10:00:00+01:00",
                ["valueQuantity"] = new JsonObject { ["value"] = 72.5, ["unit"] = "kg", ["system"] = "http://unitsofmeasure.org", ["code"] = "kg" },
            },
            _ => throw new ArgumentException($"No body for {type}", nameof(type)),
        };
    }

    /// <summary>One more resource of the seeded type in the same record.</summary>
    public static async Task AddAsync(Seeded seeded) => await CreateAsync(seeded, NewResource(seeded.Type, seeded.Ins));

    public static Task<JsonObject> CreateAsync(Seeded seeded, JsonObject body) => SendAsync(HttpMethod.Post, seeded.Type, seeded.Token, Body(body));

    /// <summary>A new document of the seeded one's record that replaces it (IHE MHD relatesTo, DMP-RULES §3).</summary>
    public static JsonObject Replacement(Seeded document)
    {
        var body = NewResource("DocumentReference", document.Ins);
        body["relatesTo"] = new JsonArray(new JsonObject
        {
            ["code"] = "replaces",
            ["target"] = new JsonObject { ["reference"] = $"DocumentReference/{document.Id}" },
        });
        return body;
    }

    /// <summary>A FHIRPath Patch of a document's status (IHE.MHD.Patch.Parameters, PDSm).</summary>
    public static JsonObject StatusPatch(string status) => new()
    {
        ["resourceType"] = "Parameters",
        ["parameter"] = new JsonArray(new JsonObject
        {
            ["name"] = "operation",
            ["part"] = new JsonArray(
                new JsonObject { ["name"] = "type", ["valueCode"] = "replace" },
                new JsonObject { ["name"] = "path", ["valueString"] = "DocumentReference.status" },
                new JsonObject { ["name"] = "value", ["valueCode"] = status }),
        }),
    };

    /// <summary>A Provide Document Bundle entry patching a stored document's status (PDSm ExempleComprehensiveProvideDocumentBundleReplace.fsh).</summary>
    public static JsonObject StatusPatchEntry(string documentId, string status) => new()
    {
        ["fullUrl"] = $"urn:uuid:{Guid.NewGuid()}",
        ["resource"] = StatusPatch(status),
        ["request"] = new JsonObject { ["method"] = "PATCH", ["url"] = $"DocumentReference/{documentId}" },
    };

    /// <summary>
    /// An IHE MHD ITI-65 Provide Document Bundle for the record with this INS: the SubmissionSet List, one Binary and the
    /// DocumentReference whose attachment.url is the Binary's fullUrl.
    /// </summary>
    public static JsonObject ProvideDocumentBundle(string ins, JsonObject? document = null)
    {
        var binaryUrl = $"urn:uuid:{Guid.NewGuid()}";
        var documentUrl = $"urn:uuid:{Guid.NewGuid()}";
        document ??= NewResource("DocumentReference", ins);
        var attachment = document["content"]![0]!["attachment"]!.AsObject();
        var binary = new JsonObject { ["resourceType"] = "Binary", ["contentType"] = attachment["contentType"]!.GetValue<string>(), ["data"] = Pdf };
        attachment.Remove("data");
        attachment["url"] = binaryUrl;
        var submissionSet = new JsonObject
        {
            ["resourceType"] = "List",
            ["status"] = "current",
            ["mode"] = "working",
            ["code"] = Concept("https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes", "submissionset"),
            ["subject"] = new JsonObject { ["identifier"] = new JsonObject { ["system"] = InsNir.System, ["value"] = ins } },
            ["date"] = "2026-11-20T10:00:00+01:00",
            ["entry"] = new JsonArray(new JsonObject { ["item"] = new JsonObject { ["reference"] = documentUrl } }),
        };
        static JsonObject Entry(string fullUrl, JsonObject resource) => new()
        {
            ["fullUrl"] = fullUrl,
            ["resource"] = resource,
            ["request"] = new JsonObject { ["method"] = "POST", ["url"] = resource["resourceType"]!.GetValue<string>() },
        };
        return new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "transaction",
            ["entry"] = new JsonArray(Entry($"urn:uuid:{Guid.NewGuid()}", submissionSet), Entry(binaryUrl, binary), Entry(documentUrl, document)),
        };
    }

    /// <summary>The current JSON of a resource, as its owner reads it.</summary>
    public static Task<JsonObject> ReadAsync(Seeded seeded) => SendAsync(HttpMethod.Get, $"{seeded.Type}/{seeded.Id}", seeded.Token);

    public static async Task DeleteAsync(Seeded seeded) => await SendAsync(HttpMethod.Delete, $"{seeded.Type}/{seeded.Id}", seeded.Token);

    public static StringContent Body(JsonNode resource, string mediaType = FhirBodies.Json) => FhirBodies.Body(resource.ToJsonString(), mediaType);

    private static async Task<string> FirstMatchAsync(string search, string token) =>
        (await SendAsync(HttpMethod.Get, search, token))["entry"]?[0]?["resource"]?["id"]?.GetValue<string>()
        ?? throw new InvalidOperationException($"{search} found nothing to probe.");

    private static async Task<JsonObject> SendAsync(HttpMethod method, string relative, string token, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, $"{LiveServer.FhirBase}/{relative}") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.ParseAdd(FhirBodies.Json);
        using var response = await LiveServer.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Arranging the probe: {method} {relative} answered {(int)response.StatusCode}: {text}");
        }

        return response.StatusCode == HttpStatusCode.NoContent ? [] : JsonNode.Parse(text)!.AsObject();
    }

    private static JsonObject Concept(string system, string code) =>
        new() { ["coding"] = new JsonArray(new JsonObject { ["system"] = system, ["code"] = code }) };
}
