using System.Text;
using System.Text.Json.Nodes;

namespace DmpApi.ContractTests.Operations;

/// <summary>One HTTP request, before the Accept header of the media type under test is added.</summary>
internal sealed record ProbeRequest(HttpMethod Method, string Url, string? Token, HttpContent? Content = null, IReadOnlyDictionary<string, string>? Headers = null)
{
    public ProbeRequest WithHeader(string name, string value) =>
        this with { Headers = new Dictionary<string, string>(Headers ?? new Dictionary<string, string>()) { [name] = value } };

    public ProbeRequest WithQuery(string query) => this with { Url = Url + (Url.Contains('?') ? "&" : "?") + query };
}

/// <summary>
/// For each documented (operation, status code), how a client makes the live server answer it: a probe arranges its own
/// data through the API and returns the request. An operation or code without a probe here, and not listed as
/// unreachable with a reason, fails the contract tests: a new operation cannot ship untested.
/// </summary>
internal static class Probes
{
    /// <summary>Documented codes a healthy live server cannot be made to answer from outside, and where they are tested instead.</summary>
    public static string? Unreachable(DocumentedOperation operation, string status) => (operation.Interaction, operation.Type, status) switch
    {
        (_, _, "503") => "503 needs a failing audit trail or database; tests/DmpApi.Tests/Audit/AuditTrailTests.cs makes the trail fail in-process",
        (Interaction.SmartConfiguration, _, "200") => "the contract server runs with development tokens only, without an OpenID Connect provider to describe; "
            + "tests/DmpApi.Tests/Auth/ProSanteConnectTests.cs serves it from a local provider",
        (_, _, "429") => "the contract server runs with RateLimits__Enabled=false (the probes would trip it); tests/DmpApi.Tests/Reliability/RateLimitTests.cs exercises 429 in-process",
        _ => null,
    };

    /// <remarks>The probe gets the media type under test: Binary content of a raw type is seeded with that content type.</remarks>
    public static Func<string?, Task<ProbeRequest>>? For(DocumentedOperation op, string status)
    {
        // A transaction at the base publishes documents in a record: its probes work on a fresh record.
        var type = op.Interaction == Interaction.Transaction ? "Patient" : op.Type;
        return (op.Interaction, status) switch
        {
            (Interaction.Unknown, _) => null,
            (Interaction.Capabilities, "200") => _ => Task.FromResult(new ProbeRequest(HttpMethod.Get, $"{LiveServer.FhirBase}/metadata", null)),
            (Interaction.SmartConfiguration, "404") => _ => Task.FromResult(new ProbeRequest(HttpMethod.Get, $"{LiveServer.FhirBase}/.well-known/smart-configuration", null)),
            (Interaction.Capabilities, "400") => _ => Task.FromResult(new ProbeRequest(HttpMethod.Get, $"{LiveServer.FhirBase}/metadata?_format=bogus", null)),
            (_, "401") => async _ => (await HappyAsync(op, await Records.SeedAsync(type))) with { Token = null },
            (_, "403") => async _ =>
            {
                var request = await HappyAsync(op, await Records.SeedAsync(type));
                // SMART scopes that grant nothing on this type (DESIGN §3): 403 before any record is touched.
                return request with
                {
                    Token = request.Token == Records.Doctor
                        ? LiveServer.Professional(scope: "user/Questionnaire.cruds")
                        : LiveServer.Patient(InsNir.Random(), "patient/Questionnaire.rs"),
                };
            },
            (Interaction.BinaryRead, "200") => async media =>
                await HappyAsync(op, await Records.SeedAsync(type, media is "application/octet-stream" ? media : "application/pdf")),
            // Issue 14: the patient's export; the record's opener exports what they may see.
            (Interaction.Everything, "200") => async _ => await HappyAsync(op, await Records.SeedAsync(type)),
            (Interaction.Everything, "400") => async _ => (await HappyAsync(op, await Records.SeedAsync(type))).WithQuery("_binary=bogus"),
            (Interaction.Everything, "404") => async _ => await HappyAsync(op, (await Records.SeedAsync(type)) with { Id = Guid.NewGuid().ToString("N") }),
            (Interaction.Create, "201") or (Interaction.Delete, "204")
                or (Interaction.Read or Interaction.VRead or Interaction.History or Interaction.Search or Interaction.SearchByPost
                    or Interaction.Update or Interaction.Patch or Interaction.ConditionalPatch or Interaction.Transaction, "200") =>
                async _ => await HappyAsync(op, await Records.SeedAsync(type)),
            (Interaction.Create, "200") => async _ =>
            {
                var seeded = await Records.SeedAsync(type);
                // The criteria name the record: a professional's conditional create, like their search, looks only inside the records it names.
                return (await HappyAsync(op, seeded)).WithHeader("If-None-Exist",
                    type == "Patient" ? $"identifier={InsNir.System}|{seeded.Ins}" : $"patient={seeded.PatientId}&_id={seeded.Id}");
            },
            (Interaction.Create or Interaction.Update, "400") => async _ =>
                (await HappyAsync(op, await Records.SeedAsync(type))) with { Content = Records.Body(new JsonObject { ["resourceType"] = type, ["notAnElement"] = true }) },
            (Interaction.Search or Interaction.SearchByPost, "400") => async _ =>
                (await HappyAsync(op, await Records.SeedAsync(type))).WithQuery("notAParameter=1").WithHeader("Prefer", "handling=strict"),
            (Interaction.Read or Interaction.VRead or Interaction.History or Interaction.BinaryRead or Interaction.Delete, "400") => async _ =>
                (await HappyAsync(op, await Records.SeedAsync(type))).WithQuery("_format=bogus"),
            (Interaction.Read or Interaction.VRead or Interaction.History or Interaction.BinaryRead or Interaction.Delete
                or Interaction.Update or Interaction.Patch, "404") => async _ =>
                await HappyAsync(op, (await Records.SeedAsync(type)) with { Id = Guid.NewGuid().ToString("N") }),
            (Interaction.Read or Interaction.BinaryRead or Interaction.Patch, "410") => async _ =>
            {
                var seeded = await Records.SeedAsync(type);
                await Records.DeleteAsync(type == "Binary" ? seeded with { Type = "DocumentReference", Id = seeded.DocumentId! } : seeded);
                return await HappyAsync(op, seeded);
            },
            (Interaction.VRead, "410") => async _ =>
            {
                var seeded = await Records.SeedAsync(type);
                await Records.DeleteAsync(seeded);
                return (await HappyAsync(op, seeded)) with { Url = $"{LiveServer.FhirBase}/{type}/{seeded.Id}/_history/2" }; // the deletion
            },
            (Interaction.Create, "409") when type == "Patient" => async _ =>
            {
                var seeded = await Records.SeedAsync(type);
                return (await HappyAsync(op, seeded)) with { Content = Records.Body(Records.NewPatient(seeded.Ins)) }; // one record per INS
            },
            (Interaction.Create, "409") when type == "DocumentReference" => async _ =>
            {
                // Replacing a document that another one already replaced (DMP-RULES §3).
                var seeded = await Records.SeedAsync(type);
                await Records.CreateAsync(seeded, Records.Replacement(seeded));
                return (await HappyAsync(op, seeded)) with { Content = Records.Body(Records.Replacement(seeded)) };
            },
            // DMP-RULES §3: a record is closed, never deleted.
            (Interaction.Delete, "405") => async _ => await HappyAsync(op, await Records.SeedAsync(type)),
            (Interaction.Patch or Interaction.ConditionalPatch, "400") => async _ =>
                (await HappyAsync(op, await Records.SeedAsync(type))) with { Content = JsonPatch("{\"op\":\"replace\"}") }, // not an array
            (Interaction.ConditionalPatch, "404") => async _ =>
                (await HappyAsync(op, await Records.SeedAsync(type))) with { Url = $"{LiveServer.FhirBase}/{type}?identifier=urn:ietf:rfc:3986|urn:uuid:{Guid.NewGuid()}" },
            (Interaction.ConditionalPatch, "412") => async _ =>
            {
                // PDSm st_maj.md: two documents with the same business identifier (the uniqueId of one among the other's identifiers,
                // since a uniqueId is registered once).
                var seeded = await Records.SeedAsync(type);
                var twin = Records.NewResource(type, seeded.Ins);
                twin["identifier"] = new JsonArray((await Records.ReadAsync(seeded))["masterIdentifier"]!.DeepClone());
                await Records.CreateAsync(seeded, twin);
                return await HappyAsync(op, seeded);
            },
            // PDSm st_maj.md, flux 04: a patch of another element than status, securityLabel and the archive flag.
            (Interaction.Patch or Interaction.ConditionalPatch, "405") => async _ =>
                (await HappyAsync(op, await Records.SeedAsync(type))) with { Content = JsonPatch("""[{"op":"add","path":"/description","value":"changed"}]""") },
            (Interaction.Patch or Interaction.ConditionalPatch, "413") => async _ =>
                (await HappyAsync(op, await Records.SeedAsync(type))) with { Content = JsonPatch(new string(' ', (int)LiveServer.MaxRequestBodyBytes + 1)) },
            (Interaction.Patch or Interaction.ConditionalPatch, "415") => async _ =>
                (await HappyAsync(op, await Records.SeedAsync(type))) with { Content = new StringContent("[]", Encoding.UTF8, "application/json") },
            (Interaction.Patch or Interaction.ConditionalPatch, "422") => async _ =>
                // A patch that cannot be applied: its test operation fails.
                (await HappyAsync(op, await Records.SeedAsync(type))) with { Content = JsonPatch("""[{"op":"test","path":"/status","value":"superseded"}]""") },
            (Interaction.Transaction, "400") => async _ =>
            {
                var seeded = await Records.SeedAsync(type);
                var batch = Records.ProvideDocumentBundle(seeded.Ins);
                batch["type"] = "batch"; // only a transaction is served at the base
                return (await HappyAsync(op, seeded)) with { Content = Records.Body(batch) };
            },
            (Interaction.Transaction, "409") => async _ =>
            {
                // The Bundle's document replaces one that another document already replaced (DMP-RULES §3).
                var replaced = await Records.SeedAsync("DocumentReference");
                await Records.CreateAsync(replaced, Records.Replacement(replaced));
                return (await HappyAsync(op, replaced)) with { Content = Records.Body(Records.ProvideDocumentBundle(replaced.Ins, Records.Replacement(replaced))) };
            },
            (Interaction.Transaction, "404") => async _ =>
            {
                // A PATCH entry (PDSm ExempleComprehensiveProvideDocumentBundleReplace.fsh) on a document that does not exist.
                var seeded = await Records.SeedAsync("DocumentReference");
                var bundle = Records.ProvideDocumentBundle(seeded.Ins);
                bundle["entry"]!.AsArray().Add(Records.StatusPatchEntry($"urn:uuid:{Guid.NewGuid():N}", "superseded"));
                return (await HappyAsync(op, seeded)) with { Content = Records.Body(bundle) };
            },
            (Interaction.Transaction, "422") => async _ => (await HappyAsync(op, await Records.SeedAsync(type))) with
            {
                Content = Records.Body(Records.ProvideDocumentBundle(InsNir.Random())), // a record that does not exist
            },
            (Interaction.Create, "412") => async _ =>
            {
                // If-None-Exist matching two resources.
                if (type == "Patient")
                {
                    var (_, first) = await Records.NewRecordAsync();
                    var (_, second) = await Records.NewRecordAsync();
                    return (await HappyAsync(op, await Records.SeedAsync(type)))
                        .WithHeader("If-None-Exist", $"identifier={InsNir.System}|{first},{InsNir.System}|{second}");
                }

                var seeded = await Records.SeedAsync(type);
                if (type != "Consent")
                {
                    await Records.AddAsync(seeded);
                }

                // A Consent's record already holds the permit of the professional who opened it (DMP-RULES §3).
                return (await HappyAsync(op, seeded)).WithHeader("If-None-Exist", $"patient={seeded.PatientId}");
            },
            (Interaction.Update or Interaction.Patch or Interaction.Delete, "412") => async _ => (await HappyAsync(op, await Records.SeedAsync(type))).WithHeader("If-Match", "W/\"99\""),
            (Interaction.Create or Interaction.Update or Interaction.Transaction, "413") => async _ =>
            {
                var request = await HappyAsync(op, await Records.SeedAsync(type));
                var oversized = new string(' ', (int)LiveServer.MaxRequestBodyBytes + 1);
                return request with { Content = new StringContent(oversized, Encoding.UTF8, FhirBodies.Json) };
            },
            (Interaction.Create or Interaction.Update or Interaction.Transaction, "415") => async _ =>
                (await HappyAsync(op, await Records.SeedAsync(type))) with { Content = new StringContent("{}", Encoding.UTF8, "text/plain") },
            (Interaction.SearchByPost, "415") => async _ =>
                (await HappyAsync(op, await Records.SeedAsync(type))) with { Content = new StringContent("{}", Encoding.UTF8, "application/json") },
            (Interaction.Create or Interaction.Update, "422") => async _ =>
            {
                var seeded = await Records.SeedAsync(type);
                var request = await HappyAsync(op, seeded);
                var body = JsonNode.Parse(await request.Content!.ReadAsStringAsync())!.AsObject();
                if (type == "Patient")
                {
                    body["identifier"]![0]!["value"] = seeded.Ins[..13] + (seeded.Ins[13..] == "01" ? "02" : "01"); // a wrong INS key
                }
                else
                {
                    // The element naming the record: subject for documents, conditions, treatments and measurements, patient otherwise.
                    body[body.ContainsKey("subject") ? "subject" : "patient"] = new JsonObject
                    {
                        ["identifier"] = new JsonObject { ["system"] = InsNir.System, ["value"] = InsNir.Random() }, // no such record
                    };
                }

                return request with { Content = Records.Body(body) };
            },
            _ => null,
        };
    }

    /// <summary>The request that succeeds for this operation on the seeded resource.</summary>
    private static async Task<ProbeRequest> HappyAsync(DocumentedOperation op, Seeded s)
    {
        var at = $"{LiveServer.FhirBase}/{op.Type}";
        return op.Interaction switch
        {
            Interaction.Search => new ProbeRequest(HttpMethod.Get, $"{at}?{Records.RecordParameter(op.Type)}={s.PatientId}", s.Token),
            Interaction.SearchByPost => new ProbeRequest(HttpMethod.Post, $"{at}/_search", s.Token,
                new FormUrlEncodedContent([new KeyValuePair<string, string>(Records.RecordParameter(op.Type), s.PatientId)])),
            Interaction.Create => new ProbeRequest(HttpMethod.Post, at, s.Token,
                Records.Body(op.Type == "Patient" ? Records.NewPatient(InsNir.Random()) : Records.NewResource(op.Type, s.Ins))),
            Interaction.Read or Interaction.BinaryRead => new ProbeRequest(HttpMethod.Get, $"{at}/{s.Id}", s.Token),
            Interaction.VRead => new ProbeRequest(HttpMethod.Get, $"{at}/{s.Id}/_history/1", s.Token),
            Interaction.Everything => new ProbeRequest(HttpMethod.Get, $"{at}/{s.Id}/$everything", s.Token),
            Interaction.History => new ProbeRequest(HttpMethod.Get, $"{at}/{s.Id}/_history", s.Token),
            Interaction.Delete => new ProbeRequest(HttpMethod.Delete, $"{at}/{s.Id}", s.Token),
            Interaction.Update => await UpdateAsync(at, s),
            Interaction.Transaction => new ProbeRequest(HttpMethod.Post, LiveServer.FhirBase, s.Token, Records.Body(Records.ProvideDocumentBundle(s.Ins))),
            // The professional who opened the record keeps the patient's contact details up to date (DMP-RULES §3).
            Interaction.Patch when op.Type == "Patient" => new ProbeRequest(new HttpMethod("PATCH"), $"{at}/{s.Id}", s.Token,
                JsonPatch("""[{"op":"add","path":"/telecom","value":[{"system":"phone","value":"0231000000"}]}]""")),
            // The author marks the document superseded (DMP-RULES §3: status is one of the elements that may change; PDSm
            // refuses entered-in-error).
            Interaction.Patch => new ProbeRequest(new HttpMethod("PATCH"), $"{at}/{s.Id}", s.Token,
                JsonPatch("""[{"op":"replace","path":"/status","value":"superseded"}]""")),
            // PDSm: the document named by its business identifier, withdrawn with a FHIRPath Patch (Parameters).
            Interaction.ConditionalPatch => new ProbeRequest(new HttpMethod("PATCH"),
                $"{at}?identifier=urn:ietf:rfc:3986|{(await Records.ReadAsync(s))["masterIdentifier"]!["value"]!.GetValue<string>()}", s.Token,
                Records.Body(Records.StatusPatch("superseded"))),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op.Name, "No request for this interaction"),
        };
    }

    private static StringContent JsonPatch(string body) => new(body, Encoding.UTF8, "application/json-patch+json");

    /// <summary>The current version sent back with If-Match; for a 404 probe (an id nobody created) a body with that id.</summary>
    private static async Task<ProbeRequest> UpdateAsync(string at, Seeded s)
    {
        JsonObject body;
        try
        {
            body = await Records.ReadAsync(s);
        }
        catch (InvalidOperationException)
        {
            body = s.Type == "Patient" ? Records.NewPatient(s.Ins) : Records.NewResource(s.Type, s.Ins);
        }

        body["id"] = s.Id;
        body.Remove("meta");
        return new ProbeRequest(HttpMethod.Put, $"{at}/{s.Id}", s.Token, Records.Body(body)).WithHeader("If-Match", "W/\"1\"");
    }
}
