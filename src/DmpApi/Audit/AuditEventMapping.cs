using System.Globalization;
using System.Text;
using DmpApi.Patients;
using Hl7.Fhir.Model;

namespace DmpApi.Audit;

/// <summary>An <see cref="AuditRecord"/> as a FHIR AuditEvent in the shape of IHE BALP (Basic Audit Log Patterns), RESTful events.</summary>
public static class AuditEventMapping
{
    public const string IdNatPsSystem = Auth.Requester.IdNatPsSystem;
    public const string ProfessionSystem = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante";
    public const string ActReasonSystem = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
    public const string EventTypeSystem = "http://terminology.hl7.org/CodeSystem/audit-event-type";
    public const string InteractionSystem = "http://hl7.org/fhir/restful-interaction";
    public const string EntityTypeSystem = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
    public const string ObjectRoleSystem = "http://terminology.hl7.org/CodeSystem/object-role";
    private const string ParticipationTypeSystem = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
    private const string RoleClassSystem = "http://terminology.hl7.org/CodeSystem/v3-RoleClass";
    private const string SourceTypeSystem = "http://terminology.hl7.org/CodeSystem/security-source-type";
    private const string BalpEntityTypeSystem = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";
    public const string IheTransactionSystem = "urn:ihe:event-type-code";
    private const string DicomSystem = "http://dicom.nema.org/resources/ontology/DCM";

    public static AuditEvent ToResource(AuditRecord record)
    {
        var recorded = new DateTimeOffset(DateTime.SpecifyKind(record.RecordedAt, DateTimeKind.Utc));
        var audit = new AuditEvent
        {
            Id = record.Id.ToString(CultureInfo.InvariantCulture),
            Meta = new Meta { VersionId = "1", LastUpdated = recorded },
            Type = new Coding(EventTypeSystem, "rest", "Restful Operation"),
            Subtype = [new Coding(InteractionSystem, record.Interaction), .. IheTransaction(record)],
            Action = Action(record.Interaction),
            Recorded = recorded,
            Outcome = record.Outcome switch
            {
                0 => AuditEvent.AuditEventOutcome.N0,
                4 => AuditEvent.AuditEventOutcome.N4,
                8 => AuditEvent.AuditEventOutcome.N8,
                _ => AuditEvent.AuditEventOutcome.N12,
            },
            OutcomeDesc = $"HTTP {record.HttpStatus}",
            // BALP RESTful pattern: the user, the client that sent the request and the server that answered it.
            Agent = [Requester(record), Client(record), Server()],
            // The server is the observer (BALP: source).
            Source = new AuditEvent.SourceComponent
            {
                Observer = new ResourceReference { Display = "DmpApi" },
                Type = [new Coding(SourceTypeSystem, "4", "Application Server")],
            },
        };

        var patient = record.PatientId is null ? null : $"Patient/{record.PatientId}";
        if (patient is not null)
        {
            // CSP L1111-19: the patient sees who accessed their record; this entity is what AuditEvent?patient= finds.
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference(patient),
                Type = new Coding(EntityTypeSystem, "1", "Person"),
                Role = new Coding(ObjectRoleSystem, "1", "Patient"),
            });
        }

        foreach (var resource in record.Resources.Where(r => r != patient))
        {
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                What = new ResourceReference(resource),
                Type = new Coding(EntityTypeSystem, "2", "System Object"),
                Role = new Coding(ObjectRoleSystem, "4", "Domain Resource"),
            });
        }

        if (record.Interaction == "search-type")
        {
            // DMP-RULES §4: the query is part of "what" for a search (BALP Query pattern: base64 in entity.query).
            audit.Entity.Add(new AuditEvent.EntityComponent
            {
                Type = new Coding(EntityTypeSystem, "2", "System Object"),
                Role = new Coding(ObjectRoleSystem, "24", "Query"),
                Query = Encoding.UTF8.GetBytes(record.Path),
            });
        }

        // BALP: the request id ties the event to the server's logs.
        audit.Entity.Add(new AuditEvent.EntityComponent
        {
            What = new ResourceReference { Identifier = new Identifier { Value = record.RequestId } },
            Type = new Coding(BalpEntityTypeSystem, "XrequestId", "X-Request-Id"),
        });
        if (record.HiddenFromRepresentatives)
        {
            // Issue 14: the professional kept this access from the minor's legal representatives.
            audit.Meta.Security.Add(new Coding(Access.DmpCodes.InvisibleToRepresentatives.System, Access.DmpCodes.InvisibleToRepresentatives.Code));
        }

        return audit;
    }

    /// <summary>
    /// The IHE MHD transaction the request was (MHD audit patterns, BALP): ITI-65 the publication Bundle, ITI-66 a search
    /// or read of Lists, ITI-67 a search or read of DocumentReferences, ITI-68 a document's content.
    /// </summary>
    public static IEnumerable<Coding> IheTransaction(AuditRecord record) => (record.Interaction, record.ResourceType) switch
    {
        ("transaction", "Bundle") => [new Coding(IheTransactionSystem, "ITI-65", "Provide Document Bundle")],
        ("search-type" or "read", "List") => [new Coding(IheTransactionSystem, "ITI-66", "Find Document Lists")],
        ("search-type" or "read", "DocumentReference") => [new Coding(IheTransactionSystem, "ITI-67", "Find Document References")],
        ("read", "Binary") => [new Coding(IheTransactionSystem, "ITI-68", "Retrieve Document")],
        _ => [],
    };

    /// <summary>BALP: the client application, known here by its network address (DICOM 110153 Source Role ID).</summary>
    private static AuditEvent.AgentComponent Client(AuditRecord record) => new()
    {
        Type = new CodeableConcept(DicomSystem, "110153", "Source Role ID"),
        Who = new ResourceReference { Display = "client of " + (record.Name ?? record.Subject) },
        Requestor = false,
        Network = record.ClientAddress is null ? null : new AuditEvent.NetworkComponent { Address = record.ClientAddress, Type = AuditEvent.AuditEventAgentNetworkType.N2 },
    };

    /// <summary>BALP: this server, which received the request (DICOM 110152 Destination Role ID).</summary>
    private static AuditEvent.AgentComponent Server() => new()
    {
        Type = new CodeableConcept(DicomSystem, "110152", "Destination Role ID"),
        Who = new ResourceReference { Display = "DmpApi" },
        Requestor = false,
    };

    /// <summary>The entity naming the patient (object-role 1).</summary>
    public static bool IsPatientEntity(AuditEvent.EntityComponent entity) =>
        entity.Role is { System: ObjectRoleSystem, Code: "1" };

    /// <summary>DICOM / AuditEvent action of a restful interaction: C R U D, E for searches and operations.</summary>
    public static AuditEvent.AuditEventAction Action(string interaction) => interaction switch
    {
        "create" => AuditEvent.AuditEventAction.C,
        "read" or "vread" or "history-instance" => AuditEvent.AuditEventAction.R,
        "update" or "patch" => AuditEvent.AuditEventAction.U,
        "delete" => AuditEvent.AuditEventAction.D,
        _ => AuditEvent.AuditEventAction.E,
    };

    /// <summary>The requester (BALP user agent): idNatPs or INS, name, profession, purpose of use, network address.</summary>
    private static AuditEvent.AgentComponent Requester(AuditRecord record)
    {
        var agent = new AuditEvent.AgentComponent
        {
            Type = new CodeableConcept { Coding = [new Coding(ParticipationTypeSystem, "IRCP", "information recipient")] },
            Who = new ResourceReference { Display = record.Name ?? record.Subject },
            AltId = record.Subject,
            Name = record.Name,
            Requestor = true,
        };
        if (record.IdNatPs is not null)
        {
            agent.Who.Identifier = new Identifier(IdNatPsSystem, record.IdNatPs);
        }
        else if (record.Ins is not null)
        {
            agent.Who.Identifier = new Identifier(Ins.NirSystem, record.Ins);
        }
        else if (record.RequesterKind == nameof(Auth.RequesterKind.System))
        {
            // Issue 15: a system (the Assurance Maladie feed) is traced under its own client id.
            agent.Who.Identifier = new Identifier(Recorders.SystemClientIdSystem, record.Subject);
        }

        if (record.Profession is not null)
        {
            agent.Role.Add(new CodeableConcept(ProfessionSystem, record.Profession));
        }
        else if (record.RequesterKind == nameof(Auth.RequesterKind.Patient))
        {
            agent.Role.Add(new CodeableConcept { Coding = [new Coding(RoleClassSystem, "PAT", "patient")] });
        }

        if (record.PurposeOfUse is not null)
        {
            // The justification (a bris de glace's reason) is the text of the purpose of use it explains.
            agent.PurposeOfUse.Add(new CodeableConcept(ActReasonSystem, record.PurposeOfUse) { Text = record.PurposeOfUseReason });
        }

        if (record.ClientAddress is not null)
        {
            agent.Network = new AuditEvent.NetworkComponent { Address = record.ClientAddress, Type = AuditEvent.AuditEventAgentNetworkType.N2 };
        }

        return agent;
    }

    /// <summary>A fixed example (no clock, no random ids) for the OpenAPI document: a médecin read a document of the record.</summary>
    public static AuditEvent Example() => ToResource(new AuditRecord
    {
        Id = 1042,
        RecordedAt = new DateTime(2026, 11, 20, 10, 42, 7, 125, DateTimeKind.Utc),
        PatientId = "7f3c2a9e5b1d4c8fa2e6b0d9c4f1a835",
        RequesterKind = nameof(Auth.RequesterKind.Professional),
        Subject = "810001234567",
        IdNatPs = "810001234567",
        Name = "Dr Jean Dupont",
        Profession = "10",
        PurposeOfUse = "TREAT",
        Interaction = "read",
        Method = "GET",
        Path = "/fhir/DocumentReference/c91e0d4b7a2f4e63b8d5a1f09e2c7b46",
        ResourceType = "DocumentReference",
        ResourceIds = "DocumentReference/c91e0d4b7a2f4e63b8d5a1f09e2c7b46",
        HttpStatus = 200,
        Outcome = 0,
        ClientAddress = "192.0.2.10",
        RequestId = "0HNA1B2C3D4E5:00000001",
    });
}
