using System.Globalization;
using System.Net;
using DmpApi.Access;
using DmpApi.Audit;
using DmpApi.Auth;
using DmpApi.Fhir;
using DmpApi.Patients;
using DmpApi.Search;
using DmpApi.Storage;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace DmpApi.Notifications;

/// <summary>
/// The notifications as read-only FHIR Communications (DESIGN §4, DMP-RULES §4), newest first: the patient reads those
/// of their own record; a professional reads those addressed to them (a médecin traitant told of an emergency access,
/// issue 15), whatever the record, and nothing else. Communication.status tells where the notice's mail stands.
/// </summary>
public static class CommunicationEndpoints
{
    public const string ResourceType = "Communication";

    private const string CategorySystem = "http://terminology.hl7.org/CodeSystem/communication-category";

    private static readonly HashSet<string> Silent = ["_format", "_pretty", "_page"];

    private static readonly (string Name, SearchParamType Type, string Description)[] Parameters =
    [
        ("patient", SearchParamType.Reference, "The record whose notifications are searched: Patient/{id} or {id}; a patient may name only their own (the default); a professional gets those of that record addressed to them"),
        ("recipient", SearchParamType.Reference, "To whom: Patient/{id} (the patient), or recipient:identifier=" + DmpCodes.IdNatPsSystem + "|{idNatPs} (a médecin traitant). A professional names only themselves (the default; anyone else: 403)"),
    ];

    public static RouteGroupBuilder MapCommunicationEndpoints(this RouteGroupBuilder fhir)
    {
        var group = fhir.MapGroup("/" + ResourceType).WithTags(ResourceType);
        group.MapGet("/", SearchAsync)
            .WithName("SearchCommunication")
            .WithSummary("Search the notifications of the patient's own record, or those addressed to the professional, newest first")
            .RequireScope(ResourceType, FhirInteraction.Search)
            .WithMetadata(new DeclaredSearchParameters(
                "The notifications of one record (DMP-RULES §4): first access by each professional, each emergency episode (CSP "
                + "R1111-48), and a record updated by a document not yet announced (CSP R1111-53). The patient reads those of their "
                + "record; a professional those addressed to them (recipient:identifier = their idNatPs; naming anyone else: 403). "
                + "status tells where the mail stands: preparation, in-progress (retrying; statusReason has the SMTP answer), "
                + "completed, stopped (refused or given up), not-done (no address). Newest first.",
                [
                    .. Parameters.Select(p => new DeclaredSearchParameter(p.Name, p.Description)),
                    new DeclaredSearchParameter("_count", "How many notifications per page"),
                ]));
        group.MapGet("/{id}", ReadAsync)
            .WithName("ReadCommunication")
            .WithSummary("Read one notification of the patient's own record, or one addressed to the professional")
            .RequireScope(ResourceType, FhirInteraction.Read);
        return group;
    }

    /// <summary>Communication in the CapabilityStatement: read and search-type only (the server alone sends notifications).</summary>
    public static CapabilityStatement.ResourceComponent Capability() =>
        CapabilityResources.ReadOnly(ResourceType, "Notifications (DMP-RULES §4), read-only, mailed when an SMTP server is configured: the patient reads those of their own record; a professional those addressed to them.",
            Parameters);

    /// <summary>The FHIR view of a notification. CSP R1111-53: an unannounced document is never named, not even by id.</summary>
    public static Communication ToResource(NotificationRecord row)
    {
        var sent = new DateTimeOffset(DateTime.SpecifyKind(row.SentAt, DateTimeKind.Utc));
        return new Communication
        {
            Id = row.Id.ToString(CultureInfo.InvariantCulture),
            Meta = new Meta { VersionId = "1", LastUpdated = row.DeliveredAt is { } delivered ? new DateTimeOffset(DateTime.SpecifyKind(delivered, DateTimeKind.Utc)) : sent },
            Status = StatusOf(row),
            StatusReason = row.DeliveryOutcome is { } outcome ? new CodeableConcept { Text = outcome } : null,
            Category = [new CodeableConcept(CategorySystem, "notification")],
            Subject = new ResourceReference($"Patient/{row.PatientId}"),
            Recipient =
            [
                row.RecipientIdNatPs is { } doctor
                    ? new ResourceReference { Type = "Practitioner", Identifier = new Identifier(DmpCodes.IdNatPsSystem, doctor) }
                    : new ResourceReference($"Patient/{row.PatientId}"),
            ],
            SentElement = new FhirDateTime(sent),
            Payload = [new Communication.PayloadComponent { Content = new FhirString(NoticeMail.Text(row)) }],
        };
    }

    /// <summary>Where the notice's mail stands (issue 15), in FHIR's event statuses.</summary>
    public static EventStatus StatusOf(NotificationRecord row) => row.Delivery switch
    {
        NotificationDelivery.Pending when row.Attempts == 0 => EventStatus.Preparation,
        NotificationDelivery.Pending => EventStatus.InProgress,
        NotificationDelivery.Delivered => EventStatus.Completed,
        NotificationDelivery.Failed => EventStatus.Stopped,
        NotificationDelivery.NoAddress => EventStatus.NotDone,
        // Before mail existed, a notice was complete once written: the patient read it in the app.
        NotificationDelivery.NotMailed => EventStatus.Completed,
        _ => throw new ArgumentOutOfRangeException(nameof(row), row.Delivery, null),
    };

    private static async Task<FhirResult> ReadAsync(string id, HttpContext http, DmpDbContext db, CancellationToken ct)
    {
        var audience = await AudienceAsync(http, ct);
        // Another record's notification, or one addressed to someone else, answers as one that does not exist (DMP-RULES §2).
        var row = long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var key)
            ? await audience.Visible(db.Notifications.AsNoTracking()).FirstOrDefaultAsync(n => n.Id == key, ct)
            : null;
        return row is null ? throw FhirException.NotFound(ResourceType, id) : new FhirResult(HttpStatusCode.OK, ToResource(row));
    }

    private static async Task<FhirResult> SearchAsync(HttpContext http, DmpDbContext db, PageTokens tokens, IOptions<SearchOptions> options, CancellationToken ct)
    {
        var audience = await AudienceAsync(http, ct);
        var requester = http.GetRequester();
        var parameters = http.Request.Query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? string.Empty))).ToList();
        var offset = 0;
        if (parameters.FirstOrDefault(p => p.Key == "_page") is { Value: { Length: > 0 } token })
        {
            var state = tokens.Read(token, ResourceType, requester);
            parameters = QueryHelpers.ParseQuery(state.Query).SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? string.Empty))).ToList();
            offset = state.Offset;
        }

        var query = audience.Visible(db.Notifications.AsNoTracking());
        var count = options.Value.DefaultCount;
        var canonical = new List<KeyValuePair<string, string>>();
        var ignored = new List<string>();
        foreach (var (name, value) in parameters)
        {
            switch (name)
            {
                case "patient":
                    if (audience.PatientId is { } own && PatientReferences.IdOf(value) != own)
                    {
                        throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                            "A patient reads the notifications of their own record only (DMP-RULES §4): use patient=Patient/{your record's id}.");
                    }

                    var named = PatientReferences.IdOf(value);
                    query = query.Where(n => n.PatientId == named);
                    break;
                case "recipient":
                    // Patient/{id}: the notices addressed to the patient of that record.
                    var patient = PatientReferences.IdOf(value);
                    if (audience.IdNatPs is not null || patient != audience.PatientId)
                    {
                        throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                            "Only the patient reads the notices addressed to them; a professional names themselves: recipient:identifier=" + DmpCodes.IdNatPsSystem + "|{your idNatPs}.");
                    }

                    query = query.Where(n => n.RecipientIdNatPs == null);
                    break;
                case "recipient:identifier":
                    var doctor = value.StartsWith(DmpCodes.IdNatPsSystem + "|", StringComparison.Ordinal) ? value[(DmpCodes.IdNatPsSystem.Length + 1)..]
                        : throw FhirException.BadRequest($"recipient:identifier takes {DmpCodes.IdNatPsSystem}|{{idNatPs}}; got '{value}'.");
                    if (audience.IdNatPs is { } self && doctor != self)
                    {
                        // Issue 15: a professional reads the notices addressed to them, never a colleague's.
                        throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                            "A professional reads only the notifications addressed to them: name your own idNatPs, or leave recipient out.");
                    }

                    query = query.Where(n => n.RecipientIdNatPs == doctor);
                    break;
                case "_count":
                    count = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var c)
                        ? Math.Min(c, options.Value.MaxCount)
                        : throw FhirException.BadRequest($"_count must be a whole number from 0 to {options.Value.MaxCount}; got '{value}'.");
                    break;
                default:
                    if (!Silent.Contains(name))
                    {
                        if (http.Request.StrictHandling())
                        {
                            throw FhirException.BadRequest($"Unknown or unsupported search parameter '{name}' on Communication (Prefer: handling=strict).", OperationOutcome.IssueType.NotSupported);
                        }

                        ignored.Add(name);
                    }

                    continue;
            }

            canonical.Add(new(name, value));
        }

        if (offset > options.Value.MaxOffset)
        {
            throw FhirException.BadRequest($"Paging deeper than {options.Value.MaxOffset} results is not supported.", OperationOutcome.IssueType.TooCostly);
        }

        int? total = count == 0 ? await query.CountAsync(ct) : null;
        // Newest first (DMP-RULES §4); the key breaks ties between notifications of the same instant.
        var rows = count == 0 ? [] : await query.OrderByDescending(n => n.SentAt).ThenByDescending(n => n.Id).Skip(offset).Take(count + 1).ToListAsync(ct);
        var hasMore = rows.Count > count;

        var baseUrl = http.Request.BaseUrl();
        var bundle = new Bundle { Type = Bundle.BundleType.Searchset, Total = total, Meta = new Meta { LastUpdated = DateTimeOffset.UtcNow } };
        foreach (var row in rows.Take(count))
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"{baseUrl}/{ResourceType}/{row.Id.ToString(CultureInfo.InvariantCulture)}",
                Resource = ToResource(row),
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            });
        }

        Bundles.CompleteSearchSet(bundle, baseUrl, ResourceType, canonical, count, ignored, offset, hasMore, tokens, requester);
        return new FhirResult(HttpStatusCode.OK, bundle);
    }

    /// <summary>
    /// Who reads, and so which notices they may see: the patient those of their own record (an access to it, traced in it);
    /// a professional those addressed to their idNatPs.
    /// </summary>
    private static async Task<Audience> AudienceAsync(HttpContext http, CancellationToken ct)
    {
        var scope = http.GetAccessScope();
        if (scope.ProfessionalsOwnIdentity() is { } idNatPs)
        {
            return new Audience(null, idNatPs);
        }

        var own = await scope.PatientsOwnRecordAsync(
            "Notifications are read by the patient, or by the professional they are addressed to (DMP-RULES §4).",
            "No record is open for the INS of this token, so there are no notifications to read.", ct);
        if (http.AuditScope() is { } audit)
        {
            audit.PatientId = own;
        }

        return new Audience(own, null);
    }

    private sealed record Audience(string? PatientId, string? IdNatPs)
    {
        public IQueryable<NotificationRecord> Visible(IQueryable<NotificationRecord> notifications) => IdNatPs is { } idNatPs
            ? notifications.Where(n => n.RecipientIdNatPs == idNatPs)
            : notifications.Where(n => n.PatientId == PatientId);
    }
}
