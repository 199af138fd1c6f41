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
/// The notifications of a record as read-only FHIR Communications (DESIGN §4, DMP-RULES §4): only the patient reads
/// them, those of their own record, newest first; professionals get 403.
/// </summary>
public static class CommunicationEndpoints
{
    public const string ResourceType = "Communication";

    private const string CategorySystem = "http://terminology.hl7.org/CodeSystem/communication-category";

    private static readonly HashSet<string> Silent = ["_format", "_pretty", "_page"];

    private static readonly (string Name, SearchParamType Type, string Description)[] Parameters =
    [
        ("patient", SearchParamType.Reference, "The record whose notifications are searched: Patient/{id} or {id}; a patient may name only their own (the default)"),
    ];

    public static RouteGroupBuilder MapCommunicationEndpoints(this RouteGroupBuilder fhir)
    {
        var group = fhir.MapGroup("/" + ResourceType).WithTags(ResourceType);
        group.MapGet("/", SearchAsync)
            .WithName("SearchCommunication")
            .WithSummary("Search the notifications of the patient's own record, newest first")
            .RequireScope(ResourceType, FhirInteraction.Search)
            .WithMetadata(new DeclaredSearchParameters(
                "The notifications of one record (DMP-RULES §4): first access by each professional, every emergency access (CSP "
                + "R1111-48), and a record updated by a document not yet announced (CSP R1111-53). Only the patient reads them; "
                + "professionals get 403. Newest first.",
                [
                    .. Parameters.Select(p => new DeclaredSearchParameter(p.Name, p.Description)),
                    new DeclaredSearchParameter("_count", "How many notifications per page"),
                ]));
        group.MapGet("/{id}", ReadAsync)
            .WithName("ReadCommunication")
            .WithSummary("Read one notification of the patient's own record")
            .RequireScope(ResourceType, FhirInteraction.Read);
        return group;
    }

    /// <summary>Communication in the CapabilityStatement: read and search-type only (the server alone sends notifications).</summary>
    public static CapabilityStatement.ResourceComponent Capability() =>
        CapabilityResources.ReadOnly(ResourceType, "Notifications to the patient (DMP-RULES §4), read-only: the patient reads those of their own record; professionals cannot.",
            Parameters);

    /// <summary>The FHIR view of a notification. CSP R1111-53: an unannounced document is never named, not even by id.</summary>
    public static Communication ToResource(NotificationRecord row)
    {
        var sent = new DateTimeOffset(DateTime.SpecifyKind(row.SentAt, DateTimeKind.Utc));
        return new Communication
        {
            Id = row.Id.ToString(CultureInfo.InvariantCulture),
            Meta = new Meta { VersionId = "1", LastUpdated = sent },
            Status = EventStatus.Completed,
            Category = [new CodeableConcept(CategorySystem, "notification")],
            Subject = new ResourceReference($"Patient/{row.PatientId}"),
            Recipient =
            [
                row.RecipientIdNatPs is { } doctor
                    ? new ResourceReference { Type = "Practitioner", Identifier = new Identifier(DmpCodes.IdNatPsSystem, doctor) }
                    : new ResourceReference($"Patient/{row.PatientId}"),
            ],
            SentElement = new FhirDateTime(sent),
            Payload = [new Communication.PayloadComponent { Content = new FhirString(Text(row)) }],
        };
    }

    private static string Text(NotificationRecord row)
    {
        var who = $"{row.ProfessionalName ?? "Un professionnel de santé / A health professional"} (idNatPs {row.IdNatPs}, profession {row.Profession})";
        var whose = row.RecipientIdNatPs is null ? ("votre DMP", "your record") : ("le DMP de votre patient", "your patient's record");
        return row.Reason switch
        {
            NotificationReason.FirstAccess => $"{who} a accédé pour la première fois à {whose.Item1} / accessed {whose.Item2} for the first time.",
            NotificationReason.EmergencyAccess when row.PurposeOfUse == DmpCodes.Regulation =>
                $"{who} a accédé à {whose.Item1} en mode régulation (centre 15) / accessed {whose.Item2} as the centre 15 regulating doctor.",
            NotificationReason.EmergencyAccess => $"{who} a accédé à {whose.Item1} en mode bris de glace / accessed {whose.Item2} in break-the-glass mode.",
            NotificationReason.UnannouncedDocument => "Votre DMP a été mis à jour / Your record was updated.",
            _ => throw new ArgumentOutOfRangeException(nameof(row), row.Reason, null),
        };
    }

    private static async Task<FhirResult> ReadAsync(string id, HttpContext http, DmpDbContext db, CancellationToken ct)
    {
        var own = await OwnRecordAsync(http, ct);
        TracedIn(http, own);
        // Another record's notification answers as one that does not exist (DMP-RULES §2: hidden and absent look the same).
        var row = long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var key)
            ? await db.Notifications.AsNoTracking().FirstOrDefaultAsync(n => n.Id == key && n.PatientId == own, ct)
            : null;
        return row is null ? throw FhirException.NotFound(ResourceType, id) : new FhirResult(HttpStatusCode.OK, ToResource(row));
    }

    private static async Task<FhirResult> SearchAsync(HttpContext http, DmpDbContext db, PageTokens tokens, IOptions<SearchOptions> options, CancellationToken ct)
    {
        var own = await OwnRecordAsync(http, ct);
        var requester = http.GetRequester();
        var parameters = http.Request.Query.SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? string.Empty))).ToList();
        var offset = 0;
        if (parameters.FirstOrDefault(p => p.Key == "_page") is { Value: { Length: > 0 } token })
        {
            var state = tokens.Read(token, ResourceType, requester);
            parameters = QueryHelpers.ParseQuery(state.Query).SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? string.Empty))).ToList();
            offset = state.Offset;
        }

        var count = options.Value.DefaultCount;
        var canonical = new List<KeyValuePair<string, string>>();
        var ignored = new List<string>();
        foreach (var (name, value) in parameters)
        {
            switch (name)
            {
                case "patient":
                    if (PatientReferences.IdOf(value) != own)
                    {
                        throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                            "A patient reads the notifications of their own record only (DMP-RULES §4): use patient=Patient/{your record's id}.");
                    }

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

        TracedIn(http, own);
        if (offset > options.Value.MaxOffset)
        {
            throw FhirException.BadRequest($"Paging deeper than {options.Value.MaxOffset} results is not supported.", OperationOutcome.IssueType.TooCostly);
        }

        var query = db.Notifications.AsNoTracking().Where(n => n.PatientId == own);
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

    /// <summary>Reading the notifications is an access to the record, traced in it.</summary>
    private static void TracedIn(HttpContext http, string patientId)
    {
        if (http.AuditScope() is { } audit)
        {
            audit.PatientId = patientId;
        }
    }


    /// <summary>The patient's own record, found by the INS of their token. DMP-RULES §4: professionals cannot read notifications.</summary>
    private static Task<string> OwnRecordAsync(HttpContext http, CancellationToken ct) =>
        http.GetAccessScope().PatientsOwnRecordAsync(
            "Professionals cannot read notifications (DMP-RULES §4): they are addressed to the patient.",
            "No record is open for the INS of this token, so there are no notifications to read.", ct);
}
