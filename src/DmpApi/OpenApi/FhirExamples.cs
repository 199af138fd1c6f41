using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using DmpApi.Audit;
using DmpApi.Fhir;
using DmpApi.Patients;
using Hl7.Fhir.Model;

namespace DmpApi.OpenApi;

/// <summary>
/// The example bodies of the OpenAPI document: one realistic DMP resource per schema, built with the Hl7.Fhir POCOs
/// and serialised by <see cref="FhirWire"/>, so an example is valid FHIR R4 and cannot drift from the SDK.
/// Values are fixed (no clock, no random ids): the committed api-spec/openapi.json must be reproducible.
/// </summary>
internal static class FhirExamples
{
    private const string InsNir = "255081416802538"; // valid key: 97 − (2550814168025 mod 97) = 38
    private const string IdNatPs = "810001234567";
    private const string IdNatPsSystem = "urn:oid:1.2.250.1.71.4.2.1";
    private const string TreA03 = "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument";
    private const string BaseUrl = "https://dmp.example.fr/fhir";
    private const string PatientId = "7f3c2a9e5b1d4c8fa2e6b0d9c4f1a835";
    private const string DocumentId = "c91e0d4b7a2f4e63b8d5a1f09e2c7b46";
    private const string BinaryId = "4a8d2e7c1f5b49e0a3c6d8b2f7e1c904";
    private static readonly DateTimeOffset Deposited = new(2026, 11, 20, 10, 31, 12, TimeSpan.Zero);

    /// <summary>A one-page PDF ("Compte rendu de consultation - exemple"), 613 bytes: the inline content of the document example.</summary>
    private static readonly byte[] Pdf = Convert.FromBase64String(
        "JVBERi0xLjQKMSAwIG9iago8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIgPj4KZW5kb2JqCjIgMCBvYmoKPDwgL1R5cGUgL1BhZ2VzIC9LaWRzIFszIDAgUl0gL0NvdW50IDEgPj4KZW5k" +
        "b2JqCjMgMCBvYmoKPDwgL1R5cGUgL1BhZ2UgL1BhcmVudCAyIDAgUiAvTWVkaWFCb3ggWzAgMCA1OTUgODQyXSAvQ29udGVudHMgNCAwIFIgL1Jlc291cmNlcyA8PCAvRm9udCA8PCAvRjEg" +
        "NSAwIFIgPj4gPj4gPj4KZW5kb2JqCjQgMCBvYmoKPDwgL0xlbmd0aCA2OSA+PgpzdHJlYW0KQlQgL0YxIDE0IFRmIDcyIDc3MCBUZCAoQ29tcHRlIHJlbmR1IGRlIGNvbnN1bHRhdGlvbiAt" +
        "IGV4ZW1wbGUpIFRqIEVUCmVuZHN0cmVhbQplbmRvYmoKNSAwIG9iago8PCAvVHlwZSAvRm9udCAvU3VidHlwZSAvVHlwZTEgL0Jhc2VGb250IC9IZWx2ZXRpY2EgPj4KZW5kb2JqCnhyZWYK" +
        "MCA2CjAwMDAwMDAwMDAgNjU1MzUgZiAKMDAwMDAwMDAwOSAwMDAwMCBuIAowMDAwMDAwMDU4IDAwMDAwIG4gCjAwMDAwMDAxMTUgMDAwMDAgbiAKMDAwMDAwMDI0MSAwMDAwMCBuIAowMDAw" +
        "MDAwMzYwIDAwMDAwIG4gCnRyYWlsZXIKPDwgL1NpemUgNiAvUm9vdCAxIDAgUiA+PgpzdGFydHhyZWYKNDMwCiUlRU9GCg==");

    /// <summary>The example of each schema, by resource type; a type without one gets a schema without example.</summary>
    public static Resource? For(string resourceType) => resourceType switch
    {
        "Patient" => Record(),
        "DocumentReference" => Document(),
        "AllergyIntolerance" => Allergy(),
        "Consent" => PermitConsent(),
        "RelatedPerson" => Mother(),
        "List" => SubmissionSet(),
        "Parameters" => MaskingPatch(),
        "Condition" => Antecedent(),
        "MedicationStatement" => CurrentTreatment(),
        "Immunization" => Vaccination(),
        "Observation" => HealthMeasurements.BloodPressureOf(132, 84, PatientByIns(), new DateTimeOffset(2026, 11, 20, 10, 15, 0, TimeSpan.FromHours(1))),
        "Bundle" => SearchSet(),
        "OperationOutcome" => Outcome(),
        "Binary" => DocumentContent(),
        "CapabilityStatement" => Capabilities(),
        "AuditEvent" => AuditEventMapping.Example(),
        _ => null,
    };

    /// <summary>The JSON wire form, as the server would send it.</summary>
    public static JsonNode Json(Resource resource) => JsonNode.Parse(FhirWire.SerializeJson(resource))!;

    /// <summary>The XML wire form, indented for reading (indentation is not significant in FHIR XML).</summary>
    public static string Xml(Resource resource) =>
        XDocument.Parse(System.Text.Encoding.UTF8.GetString(FhirWire.Serialize(resource, FhirFormat.Xml))).ToString();

    /// <summary>A record opened with its INS-NIR (DMP-RULES §1), with its médecin traitant (§5).</summary>
    private static Patient Record() => new()
    {
        Identifier =
        [
            new Identifier(Ins.NirSystem, InsNir)
            {
                Use = Identifier.IdentifierUse.Official,
                Type = Concept("https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203", "INS-NIR", "NIR définitif"),
            },
        ],
        Active = true,
        Name = [new HumanName { Use = HumanName.NameUse.Official, Family = "MARTIN", Given = ["Jeanne", "Marie"] }],
        Gender = AdministrativeGender.Female,
        BirthDate = "1955-08-14",
        Address = [new Address { Use = Address.AddressUse.Home, Line = ["12 rue des Carmes"], City = "Caen", PostalCode = "14000", Country = "FRA" }],
        GeneralPractitioner = [Professional("Dr Jean DURAND")],
    };

    /// <summary>A consultation report (LOINC 11488-4, TRE_A03 class 10) deposited with its PDF inline (PDSm / IHE MHD ITI-65).</summary>
    /// <summary>A FHIRPath Patch (FHIR R4 §3.1.0.6, the PDSm update format): the patient masks a document (MASQUE_PS).</summary>
    private static Parameters MaskingPatch()
    {
        var patch = new Parameters();
        patch.Parameter.Add(new Parameters.ParameterComponent
        {
            Name = "operation",
            Part =
            [
                new() { Name = "type", Value = new Code("add") },
                new() { Name = "path", Value = new FhirString("DocumentReference") },
                new() { Name = "name", Value = new FhirString("securityLabel") },
                new() { Name = "value", Value = Concept(DmpApi.Access.DmpCodes.TreA07System, "MASQUE_PS", "Non visible par les professionnels de santé") },
            ],
        });
        return patch;
    }

    /// <summary>
    /// A death feed's JSON Patch (issue 14): the death, the closure and the death motif, all it may set on a Patient it does
    /// not read (`add` sets a member whether or not it is there). The FHIRPath Patch form is api-spec/examples/Parameters-fhirpath-patch-death.json.
    /// </summary>
    public static JsonNode DeathJsonPatch() => new JsonArray(
        new JsonObject { ["op"] = "add", ["path"] = "/deceasedDateTime", ["value"] = "2026-11-30" },
        new JsonObject { ["op"] = "add", ["path"] = "/active", ["value"] = false },
        new JsonObject
        {
            ["op"] = "add", ["path"] = "/extension",
            ["value"] = new JsonArray(Json(new Patient { Extension = [RecordClosure.DeathMotif(BaseUrl)] })["extension"]![0]!.DeepClone()),
        });

    /// <summary>The SubmissionSet of a deposit (IHE MHD, PDSm_SubmissionSetComprehensive; after the ANS example List_lotDeSoumission.fsh).</summary>
    private static List SubmissionSet() => new()
    {
        Id = "5f0e1c2d3b4a49688776a5b4c3d2e1f0",
        Status = List.ListStatus.Current,
        Mode = ListMode.Working,
        Title = "Dossier de suivi post-opératoire",
        Code = Concept("https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes", "submissionset", "Submission Set"),
        Subject = new ResourceReference($"Patient/{PatientId}") { Identifier = new Identifier(Ins.NirSystem, InsNir) },
        Date = "2026-11-20T11:30:00+01:00",
        Source = new ResourceReference { Identifier = new Identifier(IdNatPsSystem, IdNatPs), Display = "Dr Jean DURAND" },
        Identifier = [new Identifier("urn:ietf:rfc:3986", "urn:uuid:11111111-aaaa-bbbb-cccc-222222222222") { Use = Identifier.IdentifierUse.Usual }],
        Extension =
        [
            new Extension("https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType",
                Concept("https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite", "SA05", "Centre de santé")),
        ],
        Entry = [new List.EntryComponent { Item = new ResourceReference($"DocumentReference/{DocumentId}") }],
    };

    private static DocumentReference Document()
    {
        var document = DocumentShell();
        document.Subject = new ResourceReference { Identifier = new Identifier(Ins.NirSystem, InsNir) };
        document.Content[0].Attachment.Data = Pdf;
        return document;
    }

    /// <summary>The same document as stored: the content moved to a Binary the attachment points to, with size and SHA-1 (DESIGN §4).</summary>
    private static DocumentReference StoredDocument()
    {
        var document = DocumentShell();
        document.Id = DocumentId;
        document.Meta = new Meta { VersionId = "1", LastUpdated = Deposited };
        document.Subject = new ResourceReference($"Patient/{PatientId}");
        var attachment = document.Content[0].Attachment;
        attachment.Url = $"{BaseUrl}/Binary/{BinaryId}";
        attachment.SizeElement = new UnsignedInt(Pdf.Length); // R4 unsignedInt (the SDK's Size property is R5's integer64)
        attachment.Hash = SHA1.HashData(Pdf);                 // PDSm: the hash is SHA-1
        return document;
    }

    private static DocumentReference DocumentShell() => new()
    {
        Contained =
        [
            new Practitioner
            {
                Id = "author",
                Identifier = [new Identifier(IdNatPsSystem, IdNatPs)],
                Name = [new HumanName { Family = "DURAND", Given = ["Jean"], Prefix = ["Dr"] }],
            },
        ],
        MasterIdentifier = new Identifier("urn:ietf:rfc:3986", "urn:oid:1.2.250.1.999.1.1.7722.20261120.1"),
        Status = DocumentReferenceStatus.Current,
        Type = Concept("http://loinc.org", "11488-4", "Compte rendu de consultation"),
        Category = [Concept(TreA03, "10", "Compte rendu")],
        Date = new DateTimeOffset(2026, 11, 20, 11, 30, 0, TimeSpan.FromHours(1)),
        Author = [new ResourceReference("#author")],
        Description = "Consultation de suivi cardiologique",
        SecurityLabel = [Concept("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "N", "normal")],
        Content =
        [
            new DocumentReference.ContentComponent
            {
                Attachment = new Attachment
                {
                    ContentType = "application/pdf",
                    Language = "fr-FR",
                    Title = "Compte rendu de consultation",
                    Creation = "2026-11-20T11:30:00+01:00",
                },
                Format = new Coding("http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode", "urn:ihe:iti:xds:2017:mimeTypeSufficient", "mimeType Sufficient"),
            },
        ],
        Context = new DocumentReference.ContextComponent
        {
            FacilityType = Concept("https://mos.esante.gouv.fr/NOS/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite", "SA07", "Cabinet individuel"),
        },
    };

    /// <summary>A penicillin allergy recorded by the médecin traitant.</summary>
    private static AllergyIntolerance Allergy() => new()
    {
        ClinicalStatus = Concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "Active"),
        VerificationStatus = Concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed", "Confirmed"),
        Type = AllergyIntolerance.AllergyIntoleranceType.Allergy,
        Category = [AllergyIntolerance.AllergyIntoleranceCategory.Medication],
        Criticality = AllergyIntolerance.AllergyIntoleranceCriticality.High,
        Code = Concept("http://snomed.info/sct", "764146007", "Penicillin"),
        Patient = new ResourceReference { Identifier = new Identifier(Ins.NirSystem, InsNir) },
        RecordedDate = "2026-11-20",
        Recorder = Professional("Dr Jean DURAND"),
        Reaction =
        [
            new AllergyIntolerance.ReactionComponent
            {
                Manifestation = [Concept("http://snomed.info/sct", "247472004", "Urticaire")],
                Severity = AllergyIntolerance.AllergyIntoleranceSeverity.Moderate,
            },
        ],
    };

    /// <summary>The patient authorises a professional (IHE PCF shape, DMP-RULES §5).</summary>
    /// <summary>A minor's legal representative (issue 14): their INS-NIR and relationship, which the representative's token names.</summary>
    private static RelatedPerson Mother() => new()
    {
        Id = "c3f1a7e9b2d54c6f8e0a1b2c3d4e5f60",
        Active = true,
        Patient = new ResourceReference($"Patient/{PatientId}"),
        Identifier = [new Identifier(Ins.NirSystem, "280057512345674")],
        Relationship = [Concept(MinorRecord.RoleCodeSystem, "MTH", "mother")],
        Name = [new HumanName { Use = HumanName.NameUse.Official, Family = "MARTIN", Given = ["Claire"] }],
    };

    private static Consent PermitConsent() => new()
    {
        Status = Consent.ConsentState.Active,
        Scope = Concept("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy", "Privacy Consent"),
        Category = [Concept("http://loinc.org", "59284-0", "Patient Consent")],
        Patient = new ResourceReference { Identifier = new Identifier(Ins.NirSystem, InsNir) },
        DateTime = "2026-11-20T11:25:00+01:00",
        PolicyRule = Concept("http://terminology.hl7.org/CodeSystem/v3-ActCode", "OPTIN", "opt-in"),
        Provision = new Consent.provisionComponent
        {
            Type = Consent.ConsentProvisionType.Permit,
            Period = new Period { Start = "2026-11-20" },
            Actor =
            [
                new Consent.provisionActorComponent
                {
                    Role = Concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP", "information recipient"),
                    Reference = Professional("Dr Jean DURAND"),
                },
            ],
            Purpose = [new Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", "TREAT", "treatment")],
        },
    };

    /// <summary>An MHD ITI-67 answer: the matching document (content stored as a Binary) and the included Patient.</summary>
    private static Bundle SearchSet()
    {
        var patient = Record();
        patient.Id = PatientId;
        patient.Meta = new Meta { VersionId = "1", LastUpdated = new DateTimeOffset(2026, 11, 20, 10, 12, 40, TimeSpan.Zero) };
        return new Bundle
        {
            Meta = new Meta { LastUpdated = new DateTimeOffset(2026, 11, 21, 8, 0, 0, TimeSpan.Zero) },
            Type = Bundle.BundleType.Searchset,
            Total = 1,
            Link =
            [
                new Bundle.LinkComponent
                {
                    Relation = "self",
                    Url = $"{BaseUrl}/DocumentReference?patient.identifier=urn%3Aoid%3A1.2.250.1.213.1.4.8%7C{InsNir}&status=current&_include=DocumentReference%3Apatient",
                },
            ],
            Entry =
            [
                new Bundle.EntryComponent
                {
                    FullUrl = $"{BaseUrl}/DocumentReference/{DocumentId}",
                    Resource = StoredDocument(),
                    Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
                },
                new Bundle.EntryComponent
                {
                    FullUrl = $"{BaseUrl}/Patient/{PatientId}",
                    Resource = patient,
                    Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Include },
                },
            ],
        };
    }

    /// <summary>What a professional's search without a patient gets (DESIGN §4).</summary>
    private static OperationOutcome Outcome() =>
        Outcomes.Build(OperationOutcome.IssueType.Required,
            "A professional's search must name the patient: add patient, subject or patient.identifier (e.g. patient.identifier=urn:oid:1.2.250.1.213.1.4.8|255081416802538).");

    /// <summary>The document's content as a FHIR Binary (Accept: application/fhir+json); it shares its DocumentReference's access rules.</summary>
    private static Binary DocumentContent() => new()
    {
        Id = BinaryId,
        Meta = new Meta { VersionId = "1", LastUpdated = Deposited },
        ContentType = "application/pdf",
        SecurityContext = new ResourceReference($"DocumentReference/{DocumentId}"),
        Data = Pdf,
    };

    /// <summary>An excerpt of /fhir/metadata: the real one lists every type and search parameter.</summary>
    private static CapabilityStatement Capabilities() => new()
    {
        Url = $"{BaseUrl}/metadata",
        Name = "DmpApi",
        Title = "DmpApi: Dossier Médical Partagé FHIR R4 server",
        Status = PublicationStatus.Active,
        Date = "2026-11-23",
        Kind = CapabilityStatementKind.Instance,
        FhirVersion = FHIRVersion.N4_0_1,
        Format = ["application/fhir+json", "application/fhir+xml"],
        Implementation = new CapabilityStatement.ImplementationComponent { Description = "DmpApi", Url = BaseUrl },
        Rest =
        [
            new CapabilityStatement.RestComponent
            {
                Mode = CapabilityStatement.RestfulCapabilityMode.Server,
                Security = new CapabilityStatement.SecurityComponent
                {
                    Service = [Concept("http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR", "SMART-on-FHIR")],
                    Description = "OAuth2 bearer tokens (JWT) with SMART v2 scopes; professionals via Pro Santé Connect.",
                },
                Resource =
                [
                    new CapabilityStatement.ResourceComponent
                    {
                        Type = "Patient",
                        Versioning = CapabilityStatement.ResourceVersionPolicy.VersionedUpdate,
                        ReadHistory = true,
                        ConditionalCreate = true,
                        Interaction =
                        [
                            new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.Read },
                            new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.Create },
                            new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.SearchType },
                        ],
                        SearchParam =
                        [
                            new CapabilityStatement.SearchParamComponent { Name = "identifier", Type = SearchParamType.Token, Documentation = "A patient identifier" },
                        ],
                    },
                ],
            },
        ],
    };

    /// <summary>A coded concept with its display on the coding (CodeableConcept's own constructor puts the third argument in text).</summary>
    private static ResourceReference PatientByIns() => new() { Identifier = new Identifier(Ins.NirSystem, InsNir), Display = "Jeanne MARTIN" };

    /// <summary>An antécédent of the health profile (issue 15): type 2 diabetes, CIM-10 E11, active since 2019.</summary>
    private static Condition Antecedent() => new()
    {
        ClinicalStatus = Concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"),
        VerificationStatus = Concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"),
        Category = [Concept("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item", "Problem List Item")],
        Code = Concept("http://hl7.org/fhir/sid/icd-10", "E11", "Diabète sucré de type 2"),
        Subject = PatientByIns(),
        Onset = new FhirDateTime("2019-03"),
        RecordedDate = "2026-11-20",
        Recorder = Professional("Dr Jean DURAND"),
    };

    /// <summary>A current treatment (issue 15): metformin 1000 mg twice a day, coded in the CIS (base de données publique des médicaments).</summary>
    private static MedicationStatement CurrentTreatment() => new()
    {
        Status = MedicationStatement.MedicationStatusCodes.Active,
        Medication = Concept("urn:oid:1.2.250.1.213.2.3.1", "60234100", "METFORMINE 1000 mg, comprimé pelliculé"),
        Subject = PatientByIns(),
        Effective = new Period { Start = "2019-03-12" },
        DateAsserted = "2026-11-20",
        InformationSource = Professional("Dr Jean DURAND"),
        Dosage = [new Dosage { Text = "1 comprimé matin et soir, au cours des repas" }],
    };

    /// <summary>A vaccination (issue 15): influenza vaccine given by a nurse (profession 60), CVX 88.</summary>
    private static Immunization Vaccination() => new()
    {
        Status = Immunization.ImmunizationStatusCodes.Completed,
        VaccineCode = Concept("http://hl7.org/fhir/sid/cvx", "88", "Vaccin contre la grippe saisonnière"),
        Patient = PatientByIns(),
        Occurrence = new FhirDateTime("2026-10-21"),
        PrimarySource = true,
        LotNumber = "X4B21",
        Performer = [new Immunization.PerformerComponent
        {
            Function = Concept("http://terminology.hl7.org/CodeSystem/v2-0443", "AP", "Administering Provider"),
            Actor = new ResourceReference { Identifier = new Identifier(IdNatPsSystem, "810002345678"), Display = "Claire PETIT, infirmière" },
        }],
    };

    private static CodeableConcept Concept(string system, string code, string display) => new() { Coding = [new Coding(system, code, display)] };

    private static ResourceReference Professional(string display) =>
        new() { Identifier = new Identifier(IdNatPsSystem, IdNatPs), Display = display };
}
