using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Search;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace DmpApi.OpenApi;

/// <summary>
/// Describes each /fhir operation from its route and <see cref="FhirOperation"/> metadata: parameters (search
/// parameters from the <see cref="SearchParameterRegistry"/>, FHIR headers), FHIR bodies, status codes, security.
/// </summary>
internal sealed class FhirOperationFilter(SearchParameterRegistry registry, IOptions<SearchOptions> searchOptions) : IOperationFilter
{
    private const string Spec = "https://hl7.org/fhir/R4/http.html";

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (FhirRoute.Describe(context.ApiDescription) is not { } route)
        {
            if (context.ApiDescription.RelativePath?.EndsWith(".well-known/smart-configuration", StringComparison.Ordinal) == true)
            {
                // The document is plain JSON (SMART); its one error is FHIR's, as every error of this server.
                operation.Responses ??= [];
                operation.Responses["404"] = new OpenApiResponse
                {
                    Description = "No OpenID Connect provider is configured (development tokens only)",
                    Content = FhirSchemas.Content("OperationOutcome", context.Document),
                };
            }

            return;
        }

        var document = context.Document;
        var type = route.ResourceType;
        var parameters = operation.Parameters ??= [];
        var responses = new Responses(type, document);
        var anchor = string.Empty;
        DescribePathParameters(parameters, type);

        switch (route.Kind)
        {
            case FhirRouteKind.Capabilities:
                operation.Description = "What this server implements: resource types, interactions, search parameters (no token needed).";
                anchor = "capabilities";
                responses.Fhir("200", "The server's CapabilityStatement", "CapabilityStatement");
                break;
            case FhirRouteKind.Search:
                var declared = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<DeclaredSearchParameters>().FirstOrDefault();
                operation.Description = declared?.Description ?? SearchDescription(type);
                anchor = "search";
                foreach (var parameter in declared is null ? SearchParameters(type).Select(p => p.Parameter) : Declared(declared))
                {
                    parameters.Add(parameter);
                }

                parameters.Add(FhirParameters.Prefer(FhirParameters.PreferSearch));
                responses.Fhir("200", "A searchset Bundle: the matches (search.mode=match), included resources, paging links", "Bundle");
                responses.Outcome("400", "Invalid search parameter value, or unknown parameter under Prefer: handling=strict");
                break;
            case FhirRouteKind.SearchByPost:
                operation.Description = SearchDescription(type) + " The parameters travel in an application/x-www-form-urlencoded body (they may also be in the URL).";
                anchor = "search";
                operation.RequestBody = SearchForm(type);
                parameters.Add(FhirParameters.Prefer(FhirParameters.PreferSearch));
                responses.Fhir("200", "A searchset Bundle: the matches (search.mode=match), included resources, paging links", "Bundle");
                responses.Outcome("400", "Invalid search parameter value, or unknown parameter under Prefer: handling=strict");
                responses.Outcome("415", "The body is not application/x-www-form-urlencoded");
                break;
            case FhirRouteKind.Create:
                operation.Description = $"Creates a {type}; the server assigns id, versionId and lastUpdated. Conditional with If-None-Exist.";
                anchor = "create";
                operation.RequestBody = FhirBody(type, document);
                parameters.Add(FhirParameters.IfNoneExist(type));
                parameters.Add(FhirParameters.Prefer(FhirParameters.PreferReturn));
                responses.Fhir("201", $"Created: the {type} (or nothing with Prefer: return=minimal, an OperationOutcome with return=OperationOutcome)", type, FhirParameters.WriteHeaders());
                responses.Fhir("200", $"If-None-Exist matched one existing {type}: nothing was created; the existing one (per Prefer)", type, FhirParameters.WriteHeaders());
                responses.Outcome("400", "Malformed body, wrong resourceType, or If-None-Exist without criteria");
                switch (type)
                {
                    case "Patient":
                        responses.Outcome("409", "A Patient with this INS exists: one record per INS");
                        break;
                    case "DocumentReference":
                        responses.Outcome("409", "The document this one replaces (relatesTo replaces) was already replaced, or its uniqueId (masterIdentifier) is already registered (XDSDuplicateUniqueIdInRegistry)");
                        break;
                }

                responses.Outcome("412", "If-None-Exist matched several resources");
                WriteErrors(responses);
                break;
            case FhirRouteKind.Read:
                operation.Description = $"The current version of a {type}.";
                anchor = "read";
                responses.Fhir("200", $"The {type}", type, FhirParameters.ReadHeaders());
                responses.Outcome("404", "No such resource (a resource hidden from this requester answers the same)");
                // A Patient is never deleted (DMP-RULES §3: closed instead); a deleted document is absent (PDSm logical deletion: 404).
                if (!route.IsAppendOnly && type is not ("Patient" or "DocumentReference"))
                {
                    responses.Outcome("410", "The resource was deleted");
                }
                break;
            case FhirRouteKind.VRead:
                operation.Description = $"One version of a {type}, as it was.";
                anchor = "vread";
                responses.Fhir("200", $"The {type} version", type, FhirParameters.ReadHeaders());
                responses.Outcome("404", "No such resource or version (a resource hidden from this requester answers the same)");
                if (type is not ("Patient" or "DocumentReference"))
                {
                    responses.Outcome("410", "This version is the deletion");
                }
                break;
            case FhirRouteKind.History:
                operation.Description = $"Every version of a {type}, newest first.";
                anchor = "history";
                responses.Fhir("200", "A history Bundle, one entry per version (request and response say what happened)", "Bundle");
                responses.Outcome("404", "No such resource (a resource hidden from this requester answers the same)");
                break;
            case FhirRouteKind.Update:
                operation.Description = $"Replaces a {type} with a new version; the body's id must equal the URL's.";
                anchor = "update";
                operation.RequestBody = FhirBody(type, document);
                parameters.Add(FhirParameters.IfMatch());
                parameters.Add(FhirParameters.Prefer(FhirParameters.PreferReturn));
                responses.Fhir("200", "Updated: the new version (per Prefer)", type, FhirParameters.WriteHeaders());
                responses.Outcome("400", "Malformed body, wrong resourceType, id mismatch, or malformed If-Match");
                responses.Outcome("404", "No such resource");
                responses.Outcome("412", "If-Match does not name the current version");
                WriteErrors(responses);
                break;
            case FhirRouteKind.Patch:
            {
                // PDSm st_maj.md: the conditional form names the document by its business identifier.
                var conditional = context.ApiDescription.RelativePath?.Contains("{id}", StringComparison.Ordinal) != true;
                operation.Description = (conditional
                        ? $"PDSm conditional PATCH: patches the {type} whose business identifier is ?identifier=system|value (none visible 404, several 412). "
                        : string.Empty)
                    + $"Applies a FHIRPath Patch (a Parameters resource, FHIR R4 §3.1.0.6: the format PDSm requires) or a JSON Patch (RFC 6902) to a {type}: "
                    + (type == "Patient"
                        ? "judged as a PUT would be (the holder closes or reopens the record, a professional adds themselves as médecin traitant or keeps "
                            + "contact details up to date, identity is the holder's). A system with the death-record right records a death without reading the "
                            + "record: its patch sees only active, deceased[x] and the closure extensions, may set deceased[x], active = false and the death motif "
                            + "and nothing else (403 naming the element), and is answered with an OperationOutcome (or nothing with Prefer: return=minimal), never the Patient."
                        : "only status, securityLabel and the archive flag may change (PDSm). The author changes all three; the patient adds or removes the MASQUE_PS label.");
                anchor = "patch";
                operation.RequestBody = PatchBody(document, type);
                if (conditional)
                {
                    parameters.Add(new OpenApiParameter
                    {
                        Name = "identifier", In = ParameterLocation.Query, Required = true,
                        Description = "The document's business identifier (masterIdentifier or identifier), system|value",
                        Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                    });
                }

                parameters.Add(FhirParameters.IfMatch());
                parameters.Add(FhirParameters.Prefer(FhirParameters.PreferReturn));
                responses.Fhir("200", "Patched: the new version (per Prefer)", type, FhirParameters.WriteHeaders());
                responses.Outcome("400", conditional ? "No identifier, or not a patch document" : "Not a patch document, or an unknown operation");
                responses.Outcome("404", conditional
                    ? "No document the requester may see has this identifier"
                    : "No such resource (a resource hidden from this requester answers the same)");
                if (type != "Patient")
                {
                    responses.Outcome("405", "The patch changes more than status, securityLabel and the archive flag (PDSm: publish a replacement instead)");
                }

                responses.Outcome("412", conditional
                    ? "Several documents have this identifier, or If-Match does not name the current version"
                    : "If-Match does not name the current version, or the resource changed while being patched");
                responses.Outcome("413", "The body is larger than the configured limit");
                responses.Outcome("415", "Content-Type is neither application/fhir+json, application/fhir+xml (FHIRPath Patch) nor application/json-patch+json");
                responses.Outcome("422", "The patch cannot be applied (e.g. a failed test, a path that designates nothing) or yields a resource that does not conform (the validator's issues)");
                break;
            }

            case FhirRouteKind.Transaction:
                operation.Description = "IHE MHD ITI-65 Provide Document Bundle: a transaction Bundle of POST entries — DocumentReferences, "
                    + "the Binaries their attachment.url points to (by fullUrl), the SubmissionSet List and Folder Lists — and PATCH entries "
                    + "(a FHIRPath Patch of a stored DocumentReference, as PDSm's replacement example sets the replaced one superseded), "
                    + "stored in one transaction or not at all. Each entry obeys the rules of its single request (author recorded from the "
                    + "token, replacement, the elements a patch may change, access).";
                anchor = "transaction";
                operation.RequestBody = FhirBody("Bundle", document);
                parameters.Add(FhirParameters.Prefer(FhirParameters.PreferReturn));
                responses.Fhir("200", "A transaction-response Bundle: per entry, 201 with the location of what was created, 200 with the version a PATCH entry wrote", "Bundle");
                responses.Outcome("400", "Not a transaction Bundle, or an entry that is not a POST of its resource type or a FHIRPath Patch of DocumentReference/{id}");
                responses.Outcome("404", "A PATCH entry names a document that does not exist (or is hidden from this requester)");
                responses.Outcome("409", "A document the Bundle replaces was already replaced, or a document's uniqueId is already registered (XDSDuplicateUniqueIdInRegistry)");
                WriteErrors(responses);
                break;
            case FhirRouteKind.Delete when type == "Patient":
                operation.Description = "Refused to everyone (DMP-RULES §3): a record is closed by its holder (Patient.active = false), never deleted.";
                anchor = "delete";
                responses.Outcome("405", "A record is never deleted: close the record instead");
                break;
            case FhirRouteKind.Delete:
                operation.Description = type == "DocumentReference"
                    ? "PDSm logical deletion: the document is kept with status superseded and PDSm_IsDeleted true, and so are the documents it "
                        + "replaced; none of their versions is readable any more (404 to everyone); traces stay."
                    : "Logical delete: history and traces stay; later reads answer 410 Gone.";
                anchor = "delete";
                parameters.Add(FhirParameters.IfMatch());
                responses.Empty("204", "Deleted");
                responses.Outcome("404", "No such resource");
                responses.Outcome("412", "If-Match does not name the current version");
                break;
            case FhirRouteKind.BinaryRead:
                operation.Description = "The content of a document (DocumentReference.content.attachment.url): the raw bytes with their "
                    + "content type, or a FHIR Binary when Accept or _format names FHIR JSON or XML. Reading it is a read of its "
                    + "DocumentReference: same access rules, same trace.";
                anchor = "read";
                responses.Binary("200", "The content: raw bytes (Content-Type of the document), or a FHIR Binary on request");
                responses.Outcome("404", "No such content (content hidden from this requester answers the same)");
                break;
            case FhirRouteKind.Other when context.ApiDescription.RelativePath?.EndsWith(Lifecycle.EverythingEndpoint.Name, StringComparison.Ordinal) == true:
                operation.Description = "The patient's export (issue 14): every current resource of the record that the requester may see, "
                    + "under the same rules as a search (the holder, a minor's legal representative without INVISIBLE_REPRESENTANTS_LEGAUX "
                    + "documents, a professional within the habilitation matrix, masks and Consent audience), oldest first, paged with signed "
                    + "links; one access trace per page. Document contents stay links (attachment.url) unless _binary=inline.";
                anchor = "everything";
                parameters.Add(new OpenApiParameter { Name = "_count", In = ParameterLocation.Query, Description = "Resources per page", Schema = new OpenApiSchema { Type = JsonSchemaType.Integer } });
                parameters.Add(new OpenApiParameter
                {
                    Name = "_binary", In = ParameterLocation.Query,
                    Description = "link (default): contents stay attachment.url links; inline: the Binaries of the page's documents as entries, each up to Lifecycle:InlineBinaryLimit bytes",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [(System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create("link"), System.Text.Json.Nodes.JsonValue.Create("inline")] },
                });
                parameters.Add(new OpenApiParameter { Name = "_page", In = ParameterLocation.Query, Description = "A page token from a next or previous link", Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
                responses.Fhir("200", "A searchset Bundle: the record's resources (search.mode=match), inline Binaries (include), paging links", "Bundle");
                responses.Outcome("400", "Invalid _count or _binary, or an invalid page token");
                responses.Outcome("404", "No such record");
                break;
            default:
                // An interaction this filter does not know yet keeps what the endpoint declared, plus the common errors below.
                responses.Keep(operation.Responses);
                operation.Description ??= $"A FHIR interaction on {type}.";
                break;
        }

        parameters.Add(FhirParameters.Format());
        parameters.Add(FhirParameters.Accept(route.Kind == FhirRouteKind.BinaryRead));
        if (route.Kind != FhirRouteKind.Capabilities)
        {
            operation.Description += route.Scope is { } needs ? $" Needs a SMART scope granting it, e.g. {FhirParameters.ScopeExample(needs)}." : string.Empty;
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(OpenApiSetup.BearerScheme, document)] = [] }];
            responses.Outcome("401", "Missing, invalid or expired bearer token, or a token that names no professional or patient");
            responses.Outcome("403", "The token's scopes do not grant this interaction, or the DMP rules deny access to this record (the diagnostics say why)");
            responses.Outcome("429", "Too many requests from this requester (RateLimits); retry after the Retry-After header's seconds");
            responses.Outcome("503", "The audit trail could not be written, or the database did not answer: nothing is disclosed; retry later");
        }

        responses.Outcome("400", "Malformed request (e.g. an unsupported _format)");
        operation.Responses = responses.Build();
        operation.Description += anchor.Length == 0 ? string.Empty : $" FHIR: {Spec}#{anchor}";
    }

    private static void WriteErrors(Responses responses)
    {
        responses.Outcome("413", "The body is larger than the configured limit");
        responses.Outcome("415", "Content-Type is not application/fhir+json or application/fhir+xml");
        responses.Outcome("422", "Valid FHIR that breaks a DMP rule (e.g. an invalid INS key, an unknown patient), or a resource that does not conform to its core R4 type or a declared profile the server supports (the validator's issues; docs/VALIDATION.md)");
    }

    private static void DescribePathParameters(IList<IOpenApiParameter> parameters, string type)
    {
        foreach (var parameter in parameters.OfType<OpenApiParameter>().Where(p => p.In == ParameterLocation.Path))
        {
            parameter.Description = parameter.Name switch
            {
                "id" when type == "Binary" => "Logical id of the Binary, the last segment of DocumentReference.content.attachment.url",
                "id" => $"Logical id of the {type}",
                "vid" => "Version id (meta.versionId), e.g. 1",
                _ => parameter.Description,
            };
        }
    }

    private static string SearchDescription(string type) =>
        $"FHIR search on {type}. A professional's search must name the patient; a patient's searches stay within their own record. "
        + "Results are filtered by access rights before paging and counting; follow Bundle.link next/previous to page. "
        + "Modifiers: token :not :missing; string :exact :contains :missing; reference :[type].";

    /// <summary>The type's search parameters (from the registry), the chained INS shortcut, then the common and result parameters.</summary>
    private IEnumerable<(string Name, OpenApiParameter Parameter)> SearchParameters(string type)
    {
        var own = registry.For(type).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        var dates = own.Where(p => p.Kind == SearchParamKind.Date).Select(p => p.Name).ToList();
        var references = own.Where(p => p.Kind == SearchParamKind.Reference).Select(p => $"{type}:{p.Name}").ToList();

        yield return ("_id", Plain("_id", "Logical id; several ids separated by commas (OR)"));
        yield return Query("_lastUpdated", SearchParamKind.Date, "When the resource was last changed on this server");
        foreach (var p in own)
        {
            yield return Query(p.Name, p.Kind, OwnDescription(p));
        }

        // IHE MHD ITI-67: the patient named by INS (chained search on the patient's identifier).
        foreach (var p in own.Where(p => p.Kind == SearchParamKind.Reference && p.Name is "patient" or "subject" && p.Targets.Contains("Patient")))
        {
            if (registry.Find(type, p.Name + ".identifier") is null)
            {
                yield return Query(p.Name + ".identifier", SearchParamKind.Token,
                    "The patient's identifier (chained search), typically the INS: urn:oid:1.2.250.1.213.1.4.8|255081416802538");
            }
        }

        yield return ("_count", Count());
        yield return (
            "_sort",
            Plain("_sort", "Sort keys separated by commas, '-' for descending: "
                + string.Join(", ", dates.Concat(["_lastUpdated", "_id"])) + " (e.g. -date)"));
        yield return (
            "_include",
            Plain("_include", references.Count == 0
                ? "Not supported on this type"
                : "Adds the resources a reference points to (search.mode=include): " + string.Join(", ", references) + ", optionally :[target type]"));
        yield return ("_total", Enum("_total", "Whether Bundle.total is computed: accurate counts every match the requester may see", "none", "estimate", "accurate"));
        yield return ("_summary", Enum("_summary", "count: only Bundle.total, no entries", "count", "false"));
        yield return ("_page", Page());
    }

    /// <summary>The parameters an endpoint declares (<see cref="DeclaredSearchParameters"/>), then paging.</summary>
    private IEnumerable<OpenApiParameter> Declared(DeclaredSearchParameters declared)
    {
        foreach (var p in declared.Parameters)
        {
            var parameter = Plain(p.Name, p.Description);
            parameter.Required = p.Required;
            yield return parameter;
        }

        yield return Count();
        yield return Page();
    }

    private OpenApiParameter Count()
    {
        var options = searchOptions.Value;
        return new OpenApiParameter
        {
            Name = "_count", In = ParameterLocation.Query,
            Description = $"Page size: default {options.DefaultCount}, at most {options.MaxCount}; 0 with _total=accurate only counts",
            Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Minimum = "0", Maximum = options.MaxCount.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
    }

    private static OpenApiParameter Page() =>
        Plain("_page", "Opaque page token from Bundle.link next or previous (signed, expiring, bound to the requester); the search it belongs to is in the token");

    private static (string, OpenApiParameter) Query(string name, SearchParamKind kind, string description) =>
        (name, Plain(name, $"{description} ({Syntax(kind)})"));

    private static OpenApiParameter Plain(string name, string description) => new()
    {
        Name = name, In = ParameterLocation.Query, Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String },
    };

    private static OpenApiParameter Enum(string name, string description, params string[] values) => new()
    {
        Name = name, In = ParameterLocation.Query, Description = description,
        Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. values.Select(v => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(v))] },
    };

    private static string Syntax(SearchParamKind kind) => kind switch
    {
        SearchParamKind.Token => "token: system|code, |code or code; commas for OR",
        SearchParamKind.String => "string: starts with, case- and accent-insensitive",
        SearchParamKind.Date => "date: YYYY[-MM[-DD[Thh:mm[:ss][zone]]]] with an optional prefix eq ne lt le gt ge sa eb, e.g. ge2026-01-01",
        SearchParamKind.Reference => "reference: [type]/id or an absolute URL; chain with a dot, e.g. patient.identifier",
        _ => "uri: exact match",
    };

    /// <summary>
    /// The definition's description; R4 definitions shared by several types come without one in the SDK, so they are
    /// described by the element they search (the expression up to its first filter).
    /// </summary>
    private static string OwnDescription(SearchParam parameter)
    {
        if (!string.IsNullOrWhiteSpace(parameter.Description))
        {
            return parameter.Description.Trim().TrimEnd('.');
        }

        var path = parameter.Expression.Split(" | ")[0].Trim('(', ')', ' ');
        var where = path.IndexOf(".where(", StringComparison.Ordinal);
        return "Searches " + (where > 0 ? path[..where] : path);
    }

    private OpenApiRequestBody SearchForm(string type) => new()
    {
        Required = false,
        Description = "The search parameters, as in the URL of a GET search",
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/x-www-form-urlencoded"] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Properties = SearchParameters(type).ToDictionary(
                        p => p.Name,
                        p => (IOpenApiSchema)new OpenApiSchema
                        {
                            Type = ((OpenApiSchema)p.Parameter.Schema!).Type,
                            Enum = ((OpenApiSchema)p.Parameter.Schema!).Enum,
                            Description = p.Parameter.Description,
                        }),
                },
            },
        },
    };

    /// <summary>A FHIRPath Patch (Parameters, in FHIR JSON or XML) or a JSON Patch document (RFC 6902), with an example for the type.</summary>
    private static OpenApiRequestBody PatchBody(OpenApiDocument document, string type) => new()
    {
        Required = true,
        Description = "A FHIRPath Patch (a Parameters resource, FHIR R4 §3.1.0.6) or a JSON Patch document (RFC 6902)",
        Content = new Dictionary<string, OpenApiMediaType>(FhirSchemas.Content("Parameters", document))
        {
            [Fhir.FhirPatchBody.JsonPatchMediaType] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Items = new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string> { "op", "path" },
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            ["op"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. new[] { "add", "remove", "replace", "move", "copy", "test" }.Select(v => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(v))] },
                            ["path"] = new OpenApiSchema { Type = JsonSchemaType.String },
                            ["from"] = new OpenApiSchema { Type = JsonSchemaType.String },
                            ["value"] = new OpenApiSchema(),
                        },
                    },
                },
                Example = type == "Patient"
                    ? FhirExamples.DeathJsonPatch()
                    : System.Text.Json.Nodes.JsonNode.Parse(
                        $$$"""[{"op":"add","path":"/securityLabel/-","value":{"coding":[{"system":"{{{Access.DmpCodes.TreA07System}}}","code":"MASQUE_PS"}]}}]"""),
            },
        },
    };

    private static OpenApiRequestBody FhirBody(string type, OpenApiDocument document) => new()
    {
        Required = true,
        Description = $"The {type}, in FHIR JSON or XML",
        Content = FhirSchemas.Content(type, document),
    };

    /// <summary>Collects an operation's responses, ordered by status code whatever the order they are described in.</summary>
    private sealed class Responses(string type, OpenApiDocument document)
    {
        private readonly SortedDictionary<string, IOpenApiResponse> _byCode = new(StringComparer.Ordinal);

        public void Fhir(string code, string description, string schemaType, Dictionary<string, IOpenApiHeader>? headers = null) =>
            _byCode[code] = new OpenApiResponse { Description = description, Content = FhirSchemas.Content(schemaType, document), Headers = headers };

        /// <summary>An error: always an OperationOutcome (DESIGN §4). The first description of a code wins.</summary>
        public void Outcome(string code, string description) =>
            _byCode.TryAdd(code, new OpenApiResponse { Description = description, Content = FhirSchemas.Content("OperationOutcome", document) });

        public void Keep(OpenApiResponses? declared)
        {
            foreach (var (code, response) in declared ?? [])
            {
                _byCode[code] = response;
            }
        }

        public void Empty(string code, string description) => _byCode[code] = new OpenApiResponse { Description = description };

        /// <summary>Raw bytes first: that is what a client gets unless it names a FHIR format.</summary>
        public void Binary(string code, string description)
        {
            var raw = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
            var content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/octet-stream"] = new() { Schema = raw },
                ["application/pdf"] = new() { Schema = raw },
            };
            foreach (var (mediaType, fhir) in FhirSchemas.Content(type, document))
            {
                content[mediaType] = fhir;
            }

            _byCode[code] = new OpenApiResponse { Description = description, Content = content, Headers = FhirParameters.ReadHeaders() };
        }

        public OpenApiResponses Build()
        {
            var responses = new OpenApiResponses();
            foreach (var (code, response) in _byCode)
            {
                responses[code] = response;
            }

            return responses;
        }
    }
}
