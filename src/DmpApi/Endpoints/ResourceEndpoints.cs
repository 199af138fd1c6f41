using System.Net;
using DmpApi.Access;
using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Search;
using DmpApi.Storage;
using DmpApi.Validation;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace DmpApi.Endpoints;

/// <summary>The FHIR RESTful interactions (FHIR R4 §3.1.0) of one resource type, mapped under /fhir/{type}.</summary>
public static class ResourceEndpoints
{
    public static RouteGroupBuilder MapResourceEndpoints(this RouteGroupBuilder fhir, string type)
    {
        var group = fhir.MapGroup("/" + type).WithTags(type);

        group.MapGet("/", (HttpContext http, ResourceStore store, SearchEngine engine, SearchParameterRegistry registry, PageTokens tokens, IOptions<SearchOptions> options, CancellationToken ct) =>
                SearchAsync(type, http, http.Request.Query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? string.Empty))), engine, registry, tokens, options.Value, ct))
            .WithName($"Search{type}").WithSummary($"Search {type} resources").RequireScope(type, FhirInteraction.Search);

        group.MapPost("/_search", async (HttpContext http, SearchEngine engine, SearchParameterRegistry registry, PageTokens tokens, IOptions<SearchOptions> options, CancellationToken ct) =>
            {
                if (!http.Request.HasFormContentType)
                {
                    throw new FhirException(HttpStatusCode.UnsupportedMediaType, OperationOutcome.IssueType.NotSupported,
                        "POST _search takes application/x-www-form-urlencoded parameters.");
                }

                var form = await http.Request.ReadFormAsync(ct);
                var parameters = http.Request.Query.Concat(form)
                    .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? string.Empty)));
                return await SearchAsync(type, http, parameters, engine, registry, tokens, options.Value, ct);
            })
            .WithName($"Search{type}ByPost").WithSummary($"Search {type} resources (parameters in a form body)").RequireScope(type, FhirInteraction.Search)
            .DisableAntiforgery();

        group.MapPost("/", (HttpContext http, ResourceStore store, SearchEngine engine, SearchParameterRegistry registry, IOptions<SearchOptions> options, CancellationToken ct) =>
                CreateAsync(type, http, store, engine, registry, options.Value, ct))
            .WithName($"Create{type}").WithSummary($"Create a {type} (conditional with If-None-Exist)").RequireScope(type, FhirInteraction.Create);

        group.MapGet("/{id}", async (string id, HttpContext http, ResourceStore store, CancellationToken ct) =>
            {
                var stored = await http.GetAccessScope().ReadCurrentAsync(store, type, id, ct) ?? throw FhirException.NotFound(type, id);
                return stored.IsDeleted ? throw FhirRequest.Gone(type, id) : new FhirResult(HttpStatusCode.OK, stored);
            })
            .WithName($"Read{type}").WithSummary($"Read the current version of a {type}").RequireScope(type, FhirInteraction.Read);

        group.MapGet("/{id}/_history/{vid}", async (string id, string vid, HttpContext http, ResourceStore store, CancellationToken ct) =>
            {
                var stored = (int.TryParse(vid, out var version) ? await store.ReadVersionAsync(await http.GetAccessScope().ReadPredicateAsync(type, id, ct), type, id, version, ct) : null)
                    ?? throw new FhirException(HttpStatusCode.NotFound, OperationOutcome.IssueType.NotFound, $"{type}/{id} has no version '{vid}'.");
                return stored.IsDeleted ? throw FhirRequest.Gone(type, id) : new FhirResult(HttpStatusCode.OK, stored);
            })
            .WithName($"VRead{type}").WithSummary($"Read one version of a {type}").RequireScope(type, FhirInteraction.VRead);

        group.MapGet("/{id}/_history", async (string id, HttpContext http, ResourceStore store, IOptions<SearchOptions> options, CancellationToken ct) =>
            {
                var versions = await store.HistoryAsync(await http.GetAccessScope().ReadPredicateAsync(type, id, ct), type, id, options.Value.MaxCount, ct);
                if (versions.Count == 0)
                {
                    throw FhirException.NotFound(type, id);
                }

                return new FhirResult(HttpStatusCode.OK, Bundles.History(http.Request.BaseUrl(), type, id, versions));
            })
            .WithName($"History{type}").WithSummary($"All versions of a {type}, newest first").RequireScope(type, FhirInteraction.History);

        group.MapPut("/{id}", async (string id, HttpContext http, ResourceStore store, CancellationToken ct) =>
            {
                var resource = await ReadResourceAsync(http, type, ct);
                if (string.IsNullOrEmpty(resource.Id) || resource.Id != id)
                {
                    throw FhirException.BadRequest($"The body's id ('{resource.Id}') must equal the id in the URL ('{id}').");
                }

                var stored = await store.UpdateAsync(http.GetAccessScope(), resource, http.Request.IfMatchVersion(), http.Request.BaseUrl(), ct);
                return FhirResult.Written(http, HttpStatusCode.OK, stored, $"{type} updated to version {stored.Version}.");
            })
            .WithName($"Update{type}").WithSummary($"Update a {type} (If-Match for optimistic locking)").RequireScope(type, FhirInteraction.Update);

        group.MapDelete("/{id}", async (string id, HttpContext http, ResourceStore store, CancellationToken ct) =>
            {
                if (type == "Patient")
                {
                    // DMP-RULES §3: refused to everyone (405), whether the record exists or not: close it instead.
                    await http.GetAccessScope().AuthorizeAsync(new WriteIntent(type, null, null, null, []), ct);
                }

                // FHIR R4 §3.1.0.7, PDSm st_maj.md flux 04: a deletion asked of a version that is no longer the current one answers 412.
                return await store.DeleteAsync(http.GetAccessScope(), type, id, ct, http.Request.IfMatchVersion())
                    ? Results.NoContent()
                    : throw FhirException.NotFound(type, id);
            })
            .WithName($"Delete{type}").WithSummary($"Delete a {type} (logical: history and traces stay; later reads answer 410)").RequireScope(type, FhirInteraction.Delete);

        return group;
    }

    private static async Task<IResult> CreateAsync(string type, HttpContext http, ResourceStore store, SearchEngine engine, SearchParameterRegistry registry, SearchOptions options, CancellationToken ct)
    {
        var resource = await ReadResourceAsync(http, type, ct);
        var condition = http.Request.Headers["If-None-Exist"].ToString();
        if (string.IsNullOrWhiteSpace(condition))
        {
            var created = await store.CreateAsync(http.GetAccessScope(), resource, http.Request.BaseUrl(), ct);
            return FhirResult.Written(http, HttpStatusCode.Created, created, $"{type} created.");
        }

        // Conditional create (FHIR R4 §3.1.0.8): the unique INS index settles races between identical requests.
        var search = SearchRequest.Parse(type, QueryHelpers.ParseQuery(condition.TrimStart('?'))
            .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? string.Empty))), registry, options, strict: true);
        search.Count = 2;
        if (search.Criteria.Count == 0)
        {
            throw FhirException.BadRequest("If-None-Exist must hold search criteria, e.g. identifier=urn:oid:1.2.250.1.213.1.4.8|{INS}.");
        }

        // The match is a search: a professional's names the patient too.
        RequireNamedPatient(http.GetRequester(), search, $"If-None-Exist on {type}");

        var existing = await engine.ExecuteAsync(http.GetAccessScope(), search, 0, ct);
        if (existing.Matches.Count == 0)
        {
            try
            {
                var created = await store.CreateAsync(http.GetAccessScope(), resource, http.Request.BaseUrl(), ct);
                return FhirResult.Written(http, HttpStatusCode.Created, created, $"{type} created.");
            }
            catch (FhirException e) when (e.Status == HttpStatusCode.Conflict)
            {
                existing = await engine.ExecuteAsync(http.GetAccessScope(), search, 0, ct);
                if (existing.Matches.Count == 0)
                {
                    throw;
                }
            }
        }

        if (existing.Matches.Count > 1)
        {
            throw new FhirException(HttpStatusCode.PreconditionFailed, OperationOutcome.IssueType.MultipleMatches,
                $"If-None-Exist '{condition}' matches more than one {type}; make the criteria more selective.");
        }

        return FhirResult.Written(http, HttpStatusCode.OK, existing.Matches[0], $"A {type} matching If-None-Exist already exists; nothing was created.");
    }

    private static async Task<IResult> SearchAsync(string type, HttpContext http, IEnumerable<KeyValuePair<string, string>> parameters, SearchEngine engine,
        SearchParameterRegistry registry, PageTokens tokens, SearchOptions options, CancellationToken ct)
    {
        var list = parameters.ToList();
        var requester = http.GetRequester();
        var offset = 0;
        if (list.FirstOrDefault(p => p.Key == "_page") is { Value: { } token } && !string.IsNullOrEmpty(token))
        {
            var state = tokens.Read(token, type, requester);
            list = QueryHelpers.ParseQuery(state.Query).SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? string.Empty))).ToList();
            offset = state.Offset;
        }

        var search = SearchRequest.Parse(type, list, registry, options, http.Request.StrictHandling());
        RequireNamedPatient(requester, search, $"{type} search");

        if (offset > options.MaxOffset)
        {
            throw FhirException.BadRequest($"Paging deeper than {options.MaxOffset} results is not supported; narrow the search.", OperationOutcome.IssueType.TooCostly);
        }

        var page = await engine.ExecuteAsync(http.GetAccessScope(), search, offset, ct);
        var bundle = Bundles.SearchSet(http.Request.BaseUrl(), page);
        Bundles.CompleteSearchSet(bundle, http.Request.BaseUrl(), type, search.Canonical, search.Count, search.Ignored, offset, page.HasMore, tokens, requester);
        return new FhirResult(HttpStatusCode.OK, bundle) { StoredEntries = [.. page.Matches, .. page.Included] };
    }

    /// <summary>DESIGN §4: a professional searches one patient's record, never across records (400 otherwise).</summary>
    private static void RequireNamedPatient(Requester requester, SearchRequest search, string what)
    {
        if (requester.Kind == RequesterKind.Professional && !search.NamesPatient())
        {
            throw FhirException.BadRequest(search.ResourceType == "Patient"
                ? $"A professional's {what} must name the patient: identifier (the INS) or _id."
                : $"A professional's {what} must name the patient: patient, subject or patient.identifier.", OperationOutcome.IssueType.Required);
        }
    }

    /// <summary>Reads the body and checks it is a resource of the route's type (400 otherwise).</summary>
    private static async Task<Resource> ReadResourceAsync(HttpContext http, string type, CancellationToken ct)
    {
        var resource = await FhirWire.ReadBodyAsync(http.Request, ct);
        if (resource.TypeName != type)
        {
            throw FhirException.BadRequest($"The body is a {resource.TypeName}, but this endpoint takes a {type}.", OperationOutcome.IssueType.Invalid);
        }

        Conformance.Require(resource); // 422 before the store: a create or update writes only a conformant resource
        return resource;
    }
}
