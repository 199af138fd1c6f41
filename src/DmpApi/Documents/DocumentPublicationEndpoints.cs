using System.Net;
using DmpApi.Access;
using DmpApi.Audit;
using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Search;
using DmpApi.Storage;
using DmpApi.Validation;
using Hl7.Fhir.Model;

namespace DmpApi.Documents;

/// <summary>
/// IHE MHD ITI-65 Provide Document Bundle (DESIGN §4): a `transaction` Bundle at the base URL publishing documents —
/// DocumentReferences, the Binaries holding their content, the SubmissionSet List and any Folder Lists — all stored in one
/// transaction or none, each created entry answering 201 with its location (PDSm transaction_response_example.fsh).
/// </summary>
public static class DocumentPublicationEndpoints
{
    /// <summary>IHE MHD List types: the SubmissionSet that every ITI-65 Bundle carries.</summary>
    public const string ListTypesSystem = ListRules.ListTypesSystem;

    public static RouteGroupBuilder MapDocumentPublicationEndpoints(this RouteGroupBuilder fhir)
    {
        fhir.MapPost("/", PublishAsync)
            .WithTags("Bundle")
            .WithName("ProvideDocumentBundle")
            .WithSummary("Publish documents with their content in one transaction (IHE MHD ITI-65 Provide Document Bundle)")
            .WithFhirOperation("Bundle", FhirInteraction.Transaction)
            .RequireScopeOf("DocumentReference", FhirInteraction.Create); // the transaction creates documents
        return fhir;
    }

    private static async Task<IResult> PublishAsync(HttpContext http, ResourceStore store, CancellationToken ct)
    {
        var body = await FhirWire.ReadBodyAsync(http.Request, ct);
        if (body is not Bundle { Type: Bundle.BundleType.Transaction } bundle)
        {
            throw FhirException.BadRequest(
                "POST [base] takes a transaction Bundle publishing documents (IHE MHD ITI-65); batch Bundles and other resources are not served here.");
        }

        Conformance.RequireEntries(bundle, ListRules.IsSubmissionSet); // the entries as received: one non-conformant refuses the Bundle
        var documents = Documents(bundle);
        var lists = Lists(bundle);
        var scope = http.GetAccessScope();
        var patches = await PatchesAsync(bundle, documents, scope, store, ct);
        // Written in this order: a List's rules find the documents (and a SubmissionSet the Folders) it names in the same transaction.
        var written = documents.Select(d => (d.Entry, Resource: (Resource)d.Document))
            .Concat(lists.OrderBy(l => ListRules.IsSubmissionSet((List)l.Resource!) ? 1 : 0).Select(l => (Entry: l, Resource: l.Resource!)))
            .ToList();
        // The patches come last: a replacement of this Bundle supersedes its target first, which a patch asking the same then finds done.
        var updates = patches.Where(p => p.Changed is not null).ToList();
        var (created, updated) = await store.WriteAllAsync(scope, written.Select(w => w.Resource).ToList(),
            updates.Select(p => ((Resource)p.Changed!, p.Current.Version)).ToList(), http.Request.BaseUrl(), ct, link: () => LinkEntries(written));

        var response = new Bundle { Type = Bundle.BundleType.TransactionResponse, Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow } };
        var representation = http.Request.PreferredReturn() == PreferReturn.Representation;
        var byEntry = written.Select((w, i) => (w.Entry, Stored: created[i]))
            .Concat(updates.Select((p, i) => (p.Entry, Stored: updated[i])))
            .ToDictionary(x => x.Entry, x => x.Stored);
        foreach (var patch in patches.Where(p => p.Changed is null))
        {
            // Done by the replacement: its answer is the version the replacement wrote.
            byEntry[patch.Entry] = await store.ReadAsync(await scope.ReadPredicateAsync("DocumentReference", patch.Current.Id, ct), "DocumentReference", patch.Current.Id, ct)
                ?? throw new InvalidOperationException($"DocumentReference/{patch.Current.Id} was superseded in this transaction but cannot be read back.");
        }

        foreach (var entry in bundle.Entry)
        {
            response.Entry.Add(Answer(entry, byEntry, documents, representation));
        }

        foreach (var stored in created.Concat(updated))
        {
            http.AuditScope()?.Returned(stored.Resource);
        }

        return new FhirResult(HttpStatusCode.OK, response);
    }

    /// <summary>A PATCH entry: the document as read, and its patched version (null when a replacement of the Bundle already makes that change).</summary>
    private sealed record PatchEntry(Bundle.EntryComponent Entry, StoredResource Current, DocumentReference? Changed);

    /// <summary>
    /// PDSm's replacement example (ExempleComprehensiveProvideDocumentBundleReplace.fsh) PATCHes the replaced document to
    /// `superseded` in the same Bundle (IHE.MHD.Patch.Parameters, a FHIRPath Patch): each PATCH entry is computed on the
    /// document the requester may see, under the rules of a standalone PATCH (only status, securityLabel and the archive flag).
    /// </summary>
    private static async Task<List<PatchEntry>> PatchesAsync(Bundle bundle, List<Publication> documents, AccessScope scope, ResourceStore store, CancellationToken ct)
    {
        var replacedHere = documents.SelectMany(d => d.Document.RelatesTo)
            .Where(r => r.Code == DocumentRelationshipType.Replaces && r.Target?.Reference is not null)
            .Select(r => SearchIndexer.ParseReference(r.Target.Reference!))
            .Where(t => t is { Type: "DocumentReference" })
            .Select(t => t!.Value.Id)
            .ToHashSet(StringComparer.Ordinal);
        var patches = new List<PatchEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (entry, index) in bundle.Entry.Select((e, i) => (e, i)).Where(x => x.e.Request?.Method == Bundle.HTTPVerb.PATCH))
        {
            var id = entry.Request!.Url!.Split('/')[1];
            if (!seen.Add(id))
            {
                throw FhirException.Unprocessable($"Bundle.entry[{index}] patches DocumentReference/{id} a second time: one PATCH entry per document.",
                    OperationOutcome.IssueType.BusinessRule);
            }

            var current = await store.ReadAsync(await scope.ReadPredicateAsync("DocumentReference", id, ct), "DocumentReference", id, ct);
            if (current is null || current.IsDeleted)
            {
                throw FhirException.NotFound("DocumentReference", id);
            }

            var before = (DocumentReference)current.Resource!;
            if (FhirPathPatch.Apply(before, (Parameters)entry.Resource!) is not DocumentReference changed || changed.Id != before.Id)
            {
                throw FhirException.Unprocessable($"Bundle.entry[{index}]: a patch cannot change the resource's type or id.", OperationOutcome.IssueType.Invariant);
            }

            if (DocumentDeletion.MarksDeleted(changed))
            {
                throw FhirException.Unprocessable(
                    $"Bundle.entry[{index}] deletes DocumentReference/{id} (PDSm_IsDeleted): a logical deletion is its own request (DELETE or PATCH DocumentReference/{id}), not part of a Provide Document Bundle.",
                    OperationOutcome.IssueType.NotSupported);
            }

            if (!DocumentWriteRules.ChangesOnlyChangeableElements(before, changed))
            {
                // PDSm st_maj.md: only these elements change; inside a transaction the refusal is the Bundle's (422), not a 405 on POST [base].
                throw FhirException.Unprocessable($"Bundle.entry[{index}]: {DocumentWriteRules.OnlyChangeableElements}", OperationOutcome.IssueType.BusinessRule);
            }

            if (replacedHere.Contains(id))
            {
                var superseded = (DocumentReference)before.DeepCopy();
                superseded.Status = DocumentReferenceStatus.Superseded;
                if (!changed.IsExactly(superseded))
                {
                    throw FhirException.Unprocessable(
                        $"Bundle.entry[{index}] patches DocumentReference/{id}, which a document of this Bundle replaces: the replacement makes it superseded, and nothing else may change with it.",
                        OperationOutcome.IssueType.BusinessRule);
                }

                patches.Add(new PatchEntry(entry, current, null));
                continue;
            }

            patches.Add(new PatchEntry(entry, current, changed));
        }

        return patches;
    }

    /// <summary>
    /// The SubmissionSet (exactly one, IHE MHD ITI-65) and any Folders of the Bundle; each is stored as a List of the record
    /// (PDSm_SubmissionSetComprehensive, PDSm_FolderComprehensive).
    /// </summary>
    private static List<Bundle.EntryComponent> Lists(Bundle bundle)
    {
        var lists = bundle.Entry.Where(e => e.Resource is List).ToList();
        var submissionSets = lists.Count(e => ListRules.IsSubmissionSet((List)e.Resource!));
        if (submissionSets != 1)
        {
            throw FhirException.Unprocessable(
                $"A Provide Document Bundle carries exactly one SubmissionSet List ({ListTypesSystem}#submissionset); this one carries {submissionSets}.",
                OperationOutcome.IssueType.Required);
        }

        return lists;
    }

    /// <summary>References between entries (by fullUrl, FHIR R4 §3.1.0.11.2) become the ids the store gave each created resource.</summary>
    private static void LinkEntries(IReadOnlyList<(Bundle.EntryComponent Entry, Resource Resource)> written)
    {
        var locations = written.Where(w => !string.IsNullOrEmpty(w.Entry.FullUrl))
            .ToDictionary(w => w.Entry.FullUrl!, w => $"{w.Resource.TypeName}/{w.Resource.Id}", StringComparer.Ordinal);
        foreach (var (_, resource) in written)
        {
            foreach (var reference in Descendants(resource).OfType<ResourceReference>())
            {
                if (reference.Reference is { } url && locations.TryGetValue(url, out var location))
                {
                    reference.Reference = location;
                }
            }
        }
    }

    private static IEnumerable<Base> Descendants(Base element) =>
        element.EnumerateElements().SelectMany(e => e.Value switch
        {
            Base child => [child],
            IEnumerable<Base> children => children,
            _ => [],
        }).SelectMany(c => Descendants(c).Prepend(c));

    private sealed record Publication(Bundle.EntryComponent Entry, DocumentReference Document, Dictionary<Bundle.EntryComponent, int> Contents);

    /// <summary>Checks the entries and puts each Binary's bytes into the attachment that points to it (400/422 before anything is written).</summary>
    private static List<Publication> Documents(Bundle bundle)
    {
        var binaries = new Dictionary<string, Bundle.EntryComponent>(StringComparer.Ordinal);
        foreach (var (entry, index) in bundle.Entry.Select((e, i) => (e, i)))
        {
            if (entry.Request is { Method: Bundle.HTTPVerb.PATCH } patch)
            {
                // PDSm ExempleComprehensiveProvideDocumentBundleReplace.fsh: the replaced document's status, by FHIRPath Patch.
                if (entry.Resource is not Parameters || patch.Url?.Split('/') is not ["DocumentReference", { Length: > 0 } _])
                {
                    throw FhirException.BadRequest(
                        $"Bundle.entry[{index}]: a PATCH entry of a Provide Document Bundle carries a FHIRPath Patch (a Parameters resource, IHE.MHD.Patch.Parameters) with request.url DocumentReference/{{id}}.");
                }

                continue;
            }

            if (entry.Request is not { Method: Bundle.HTTPVerb.POST } request || entry.Resource is null)
            {
                throw FhirException.BadRequest(
                    $"Bundle.entry[{index}] must POST a resource, or PATCH a stored DocumentReference (PDSm): a Provide Document Bundle creates documents and changes the metadata of stored ones.");
            }

            if (request.Url?.Split('?')[0].TrimEnd('/') != entry.Resource.TypeName)
            {
                throw FhirException.BadRequest($"Bundle.entry[{index}].request.url must be '{entry.Resource.TypeName}'.");
            }

            switch (entry.Resource)
            {
                case Binary when entry.FullUrl is { Length: > 0 } fullUrl:
                    binaries[fullUrl] = entry;
                    break;
                case Binary:
                    throw FhirException.Unprocessable($"Bundle.entry[{index}] is a Binary without fullUrl: nothing can point to its content.", OperationOutcome.IssueType.Required);
                case List list when ListRules.IsSubmissionSet(list) || ListRules.IsFolder(list):
                    break;
                case DocumentReference:
                    break;
                default:
                    throw FhirException.Unprocessable(
                        $"Bundle.entry[{index}] is a {entry.Resource.TypeName}: a Provide Document Bundle carries DocumentReferences, their Binary content, one SubmissionSet List ({ListTypesSystem}#submissionset) and Folder Lists (#folder).");
            }
        }

        var publications = new List<Publication>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (entry, document) in bundle.Entry.Where(e => e.Resource is DocumentReference).Select(e => (e, (DocumentReference)e.Resource!)))
        {
            var contents = new Dictionary<Bundle.EntryComponent, int>();
            foreach (var (content, index) in document.Content.Select((c, i) => (c, i)))
            {
                if (content.Attachment?.Url is { } url && binaries.TryGetValue(url, out var binaryEntry))
                {
                    var binary = (Binary)binaryEntry.Resource!;
                    content.Attachment.Data = binary.Data ?? throw FhirException.Unprocessable($"The Binary {url} holds no data.", OperationOutcome.IssueType.Required);
                    content.Attachment.ContentType ??= binary.ContentType;
                    content.Attachment.Url = null;
                    contents[binaryEntry] = index;
                    used.Add(url);
                }
            }

            publications.Add(new Publication(entry, document, contents));
        }

        if (publications.Count == 0)
        {
            throw FhirException.Unprocessable("The Bundle publishes no DocumentReference.", OperationOutcome.IssueType.Required);
        }

        if (binaries.Keys.FirstOrDefault(url => !used.Contains(url)) is { } orphan)
        {
            throw FhirException.Unprocessable($"The Binary {orphan} is the content of no DocumentReference of the Bundle (attachment.url = its fullUrl).",
                OperationOutcome.IssueType.Invalid);
        }

        return publications;
    }

    /// <summary>The transaction-response entry of one request entry (FHIR R4 §3.1.0.11.4): status, location, version.</summary>
    private static Bundle.EntryComponent Answer(Bundle.EntryComponent entry, Dictionary<Bundle.EntryComponent, StoredResource> byEntry,
        List<Publication> documents, bool representation)
    {
        switch (entry.Resource)
        {
            case DocumentReference or List or Parameters when byEntry.TryGetValue(entry, out var stored):
                return new Bundle.EntryComponent
                {
                    Resource = representation ? stored.Resource : null,
                    Response = new Bundle.ResponseComponent
                    {
                        // FHIR R4 §3.1.0.11.4: a created entry answers 201, a patched one 200.
                        Status = entry.Request?.Method == Bundle.HTTPVerb.PATCH ? "200 OK" : "201 Created",
                        Location = $"{stored.ResourceType}/{stored.Id}/_history/{stored.Version}",
                        Etag = $"W/\"{stored.Version}\"",
                        LastModified = new DateTimeOffset(stored.LastUpdated),
                    },
                };
            case Binary:
                var (owner, index) = documents.Select(d => (d, d.Contents.TryGetValue(entry, out var i) ? i : -1)).First(x => x.Item2 >= 0);
                var url = owner.Document.Content[index].Attachment.Url!;
                return new Bundle.EntryComponent
                {
                    Response = new Bundle.ResponseComponent { Status = "201 Created", Location = "Binary/" + url[(url.LastIndexOf('/') + 1)..] },
                };
            default:
                throw new InvalidOperationException($"Bundle entry {entry.FullUrl} was neither stored nor refused.");
        }
    }
}
