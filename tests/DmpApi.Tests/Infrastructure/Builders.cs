using System.Security.Cryptography;
using System.Text;
using DmpApi.Patients;
using DmpApi.Search;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Infrastructure;

/// <summary>Code systems of DMP-RULES §1 used by the builders and the tests.</summary>
public static class Systems
{
    public const string Loinc = "http://loinc.org";
    public const string ClassCodes = "https://mos.esante.gouv.fr/NOS/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument";
    public const string TypesA05 = "https://mos.esante.gouv.fr/NOS/TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire";
    public const string Visibility = "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument";
    public const string Confidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
    public const string IdNatPs = "urn:oid:1.2.250.1.71.4.2.1";
}

/// <summary>Valid INS-NIR values, unique per call (DMP-RULES §1), made with the server's own key function.</summary>
public static class TestIns
{
    /// <summary>13 random digits starting with 1 or 2 (the sex digit), plus their key.</summary>
    public static string New() => Ins.WithKey((RandomNumberGenerator.GetInt32(1, 3)).ToString() + Digits(12));

    /// <summary>A Corsican INS: department 2A or 2B at characters 6–7.</summary>
    public static string Corsican(string department) =>
        Ins.WithKey(RandomNumberGenerator.GetInt32(1, 3).ToString() + Digits(4) + department + Digits(6));

    /// <summary>The same INS with its key changed, so that the key is wrong.</summary>
    public static string WithWrongKey(string ins)
    {
        var key = int.Parse(ins[13..]);
        return ins[..13] + (key % 97 + 1).ToString("00");
    }

    private static string Digits(int count) =>
        string.Concat(Enumerable.Range(0, count).Select(_ => RandomNumberGenerator.GetInt32(0, 10).ToString()));
}

/// <summary>Small PDF documents; each one different, so that a wrong Binary cannot pass for the right one.</summary>
public static class TestPdf
{
    public static byte[] Create() => Encoding.ASCII.GetBytes(
        $"%PDF-1.4\n% test {Guid.NewGuid():N}\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n");
}

public sealed class PatientBuilder
{
    private string? _ins = TestIns.New();
    private string _system = Patients.Ins.NirSystem;
    private string _family = "Martin";
    private string[] _given = ["Jeanne"];
    private string _birthDate = "1980-05-17";
    private string? _minorAccessMode;

    public string? Ins => _ins;

    public PatientBuilder BornOn(DateOnly day)
    {
        _birthDate = day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        return this;
    }

    /// <summary>The access mode of a minor's record (normal or secret), as the professional who opens it sets it (issue 14).</summary>
    public PatientBuilder MinorAccessMode(string mode)
    {
        _minorAccessMode = mode;
        return this;
    }

    public PatientBuilder WithIns(string ins, string system = Patients.Ins.NirSystem)
    {
        _ins = ins;
        _system = system;
        return this;
    }

    public PatientBuilder WithoutIns()
    {
        _ins = null;
        return this;
    }

    public PatientBuilder Named(string family, params string[] given)
    {
        _family = family;
        _given = given;
        return this;
    }

    public Patient Build()
    {
        var patient = new Patient
        {
            Active = true,
            Name = [new HumanName { Family = _family, Given = _given }],
            Gender = AdministrativeGender.Female,
            BirthDate = _birthDate,
        };
        if (_ins is not null)
        {
            patient.Identifier.Add(new Identifier(_system, _ins));
        }

        if (_minorAccessMode is not null)
        {
            patient.Extension.Add(new Extension("http://localhost/fhir" + Patients.MinorRecord.AccessModeName, new Code(_minorAccessMode)));
        }

        return patient;
    }
}

/// <summary>A DocumentReference of one record (PDSm shape): consultation report, class 10, inline PDF content.</summary>
public sealed class DocumentBuilder
{
    private readonly ResourceReference _subject;
    private DocumentReferenceStatus _status = DocumentReferenceStatus.Current;
    private readonly List<Coding> _type = [new Coding(Systems.Loinc, "11488-4", "Consultation note")];
    private Coding _category = new(Systems.ClassCodes, "10", "Compte rendu");
    private DateTimeOffset? _date = DateTimeOffset.UtcNow;
    private Period? _period;
    private readonly List<Coding> _securityLabels = [];
    private bool? _archived;
    private byte[]? _content = TestPdf.Create();
    private string? _contentType = "application/pdf";
    private (string Family, string Given)? _author;
    private string? _replaces;
    private string? _uniqueId;

    private DocumentBuilder(ResourceReference subject) => _subject = subject;

    public static DocumentBuilder For(string patientId) => new(new ResourceReference($"Patient/{patientId}"));

    public static DocumentBuilder For(Patient patient) => For(patient.Id ?? throw new ArgumentException("The patient has no id yet.", nameof(patient)));

    /// <summary>A logical reference by INS identifier, which the server resolves to Patient/{id}.</summary>
    public static DocumentBuilder ForIns(string ins) =>
        new(new ResourceReference { Identifier = new Identifier(Patients.Ins.NirSystem, ins) });

    public DocumentBuilder Status(DocumentReferenceStatus status)
    {
        _status = status;
        return this;
    }

    /// <summary>Replaces the type codings; a null system makes a coding with a code only.</summary>
    public DocumentBuilder Type(string? system, string code)
    {
        _type.Clear();
        _type.Add(new Coding(system, code));
        return this;
    }

    public DocumentBuilder Category(string system, string code)
    {
        _category = new Coding(system, code);
        return this;
    }

    public DocumentBuilder Date(DateTimeOffset? date)
    {
        _date = date;
        return this;
    }

    public DocumentBuilder Date(string isoInstant) => Date(DateTimeOffset.Parse(isoInstant, System.Globalization.CultureInfo.InvariantCulture));

    public DocumentBuilder Period(string? start, string? end)
    {
        _period = new Period { Start = start, End = end };
        return this;
    }

    public DocumentBuilder SecurityLabel(string system, string code)
    {
        _securityLabels.Add(new Coding(system, code));
        return this;
    }

    public DocumentBuilder Archived(bool archived)
    {
        _archived = archived;
        return this;
    }

    public DocumentBuilder Content(byte[]? data, string? contentType = "application/pdf")
    {
        _content = data;
        _contentType = contentType;
        return this;
    }

    /// <summary>A replacement (IHE MHD): relatesTo replaces DocumentReference/{id}.</summary>
    public DocumentBuilder Replacing(string documentId)
    {
        _replaces = documentId;
        return this;
    }

    /// <summary>The document's uniqueId (IHE XDS/MHD masterIdentifier), a urn:oid or urn:uuid under urn:ietf:rfc:3986.</summary>
    public DocumentBuilder UniqueId(string value)
    {
        _uniqueId = value;
        return this;
    }

    public DocumentBuilder Author(string family, string given)
    {
        _author = (family, given);
        return this;
    }

    public DocumentReference Build()
    {
        var document = new DocumentReference
        {
            Status = _status,
            Type = new CodeableConcept { Coding = [.. _type.Select(c => new Coding(c.System, c.Code, c.Display))] },
            Category = [new CodeableConcept { Coding = [new Coding(_category.System, _category.Code, _category.Display)] }],
            Subject = (ResourceReference)_subject.DeepCopy(),
            Date = _date,
            SecurityLabel = [.. _securityLabels.Select(c => new CodeableConcept { Coding = [new Coding(c.System, c.Code)] })],
            Content =
            [
                new DocumentReference.ContentComponent
                {
                    Attachment = _content is null
                        ? new Attachment { ContentType = _contentType, Url = "urn:uuid:" + Guid.NewGuid() }
                        : new Attachment { ContentType = _contentType, Data = _content },
                },
            ],
        };
        if (_uniqueId is not null)
        {
            document.MasterIdentifier = new Identifier("urn:ietf:rfc:3986", _uniqueId);
        }

        if (_replaces is not null)
        {
            document.RelatesTo.Add(new DocumentReference.RelatesToComponent
            {
                Code = DocumentRelationshipType.Replaces,
                Target = new ResourceReference($"DocumentReference/{_replaces}"),
            });
        }

        if (_period is not null)
        {
            document.Context = new DocumentReference.ContextComponent { Period = (Period)_period.DeepCopy() };
        }

        if (_archived is { } archived)
        {
            document.Extension.Add(new Extension(SearchParameterRegistry.IsArchivedExtension, new FhirBoolean(archived)));
        }

        if (_author is var (family, given))
        {
            document.Contained.Add(new Practitioner
            {
                Id = "author",
                Identifier = [new Identifier(Systems.IdNatPs, Tokens.DoctorIdNatPs)],
                Name = [new HumanName { Family = family, Given = [given] }],
            });
            document.Author.Add(new ResourceReference("#author"));
        }

        return document;
    }
}

/// <summary>An allergy of one record: penicillin, active, confirmed.</summary>
public sealed class AllergyBuilder
{
    private readonly string _patientId;
    private string _code = "91936005";
    private string _display = "Allergy to penicillin";

    private AllergyBuilder(string patientId) => _patientId = patientId;

    public static AllergyBuilder For(string patientId) => new(patientId);

    public static AllergyBuilder For(Patient patient) => For(patient.Id ?? throw new ArgumentException("The patient has no id yet.", nameof(patient)));

    public AllergyBuilder Code(string snomedCode, string display)
    {
        _code = snomedCode;
        _display = display;
        return this;
    }

    public AllergyIntolerance Build() => new()
    {
        ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active"),
        VerificationStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed"),
        Category = [AllergyIntolerance.AllergyIntoleranceCategory.Medication],
        Code = new CodeableConcept("http://snomed.info/sct", _code, _display),
        Patient = new ResourceReference($"Patient/{_patientId}"),
        RecordedDate = "2024-03-15",
    };
}

/// <summary>A patient's Consent in the IHE PCF shape of DMP-RULES §5: by default, a permit for one professional.</summary>
public sealed class ConsentBuilder
{
    private readonly string _patientId;
    private Consent.ConsentProvisionType _type = Consent.ConsentProvisionType.Permit;
    private string? _actorIdNatPs = Tokens.DoctorIdNatPs;
    private string? _opposedPurpose;

    private ConsentBuilder(string patientId) => _patientId = patientId;

    public static ConsentBuilder For(string patientId) => new(patientId);

    public static ConsentBuilder For(Patient patient) => For(patient.Id ?? throw new ArgumentException("The patient has no id yet.", nameof(patient)));

    public ConsentBuilder Permitting(string idNatPs)
    {
        _type = Consent.ConsentProvisionType.Permit;
        _actorIdNatPs = idNatPs;
        return this;
    }

    /// <summary>An opposition without actor: BTG (bris de glace) or ETREAT (centre 15), DMP-RULES §5.</summary>
    public ConsentBuilder OpposingPurpose(string purpose)
    {
        _type = Consent.ConsentProvisionType.Deny;
        _actorIdNatPs = null;
        _opposedPurpose = purpose;
        return this;
    }

    /// <summary>A permit for one emergency mode only (BTG or ETREAT): the professional is authorised in that mode alone.</summary>
    public ConsentBuilder PermittingOnlyIn(string purpose, string idNatPs)
    {
        _type = Consent.ConsentProvisionType.Permit;
        _actorIdNatPs = idNatPs;
        _opposedPurpose = purpose;
        return this;
    }

    public ConsentBuilder Blocking(string idNatPs)
    {
        _type = Consent.ConsentProvisionType.Deny;
        _actorIdNatPs = idNatPs;
        return this;
    }

    public Consent Build()
    {
        var provision = new Consent.provisionComponent { Type = _type };
        if (_actorIdNatPs is not null)
        {
            provision.Actor.Add(new Consent.provisionActorComponent
            {
                Role = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "IRCP"),
                Reference = new ResourceReference { Identifier = new Identifier(Systems.IdNatPs, _actorIdNatPs) },
            });
        }

        if (_type == Consent.ConsentProvisionType.Permit || _opposedPurpose is not null)
        {
            provision.Purpose.Add(new Coding("http://terminology.hl7.org/CodeSystem/v3-ActReason", _opposedPurpose ?? "TREAT"));
        }

        return new Consent
        {
            Status = Consent.ConsentState.Active,
            Scope = new CodeableConcept("http://terminology.hl7.org/CodeSystem/consentscope", "patient-privacy"),
            Category = [new CodeableConcept(Systems.Loinc, "59284-0")],
            Patient = new ResourceReference($"Patient/{_patientId}"),
            DateTime = "2024-03-15T10:00:00Z",
            // ppc-1 (FHIR R4 Consent): a policy or a policyRule; the directive's kind, as the api-spec examples give it.
            PolicyRule = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v3-ActCode", _type == Consent.ConsentProvisionType.Permit ? "OPTIN" : "OPTOUT"),
            Provision = provision,
        };
    }
}

/// <summary>JSON Patch documents clients send on DocumentReference (DESIGN §4) and Patient.</summary>
public static class JsonPatches
{
    /// <summary>The patient's masking: the document gets the MASQUE_PS label (DMP-RULES §2 rule 6).</summary>
    public static string Mask => $$$"""[{"op":"add","path":"/securityLabel","value":[{"coding":[{"system":"{{{Systems.Visibility}}}","code":"MASQUE_PS"}]}]}]""";

    /// <summary>A Patient's phone number, which any authorised writer keeps up to date (DMP-RULES §3).</summary>
    public const string NewPhone = """[{"op":"add","path":"/telecom","value":[{"system":"phone","value":"0231000000"}]}]""";

    /// <summary>Removes the document's first label (its only one in these tests).</summary>
    public const string RemoveFirstLabel = """[{"op":"remove","path":"/securityLabel/0"}]""";
}

/// <summary>An IHE MHD ITI-65 Provide Document Bundle: a SubmissionSet, and each document with its content as a Binary entry.</summary>
public sealed class DocumentBundleBuilder
{
    private readonly Patient _patient;
    private readonly List<Resource> _extra = [];
    private readonly List<DocumentReference> _documents = [];
    private bool _withFolder;

    private DocumentBundleBuilder(Patient patient) => _patient = patient;

    public static DocumentBundleBuilder For(Patient patient) => new(patient);

    /// <summary>A document whose inline content becomes a Binary entry that attachment.url points to.</summary>
    public DocumentBundleBuilder With(DocumentBuilder document)
    {
        _documents.Add(document.Build());
        return this;
    }

    /// <summary>A Folder (IHE MHD) filing every document of the Bundle, which the SubmissionSet names too.</summary>
    public DocumentBundleBuilder WithFolder()
    {
        _withFolder = true;
        return this;
    }

    /// <summary>Any other entry (to check what the server refuses).</summary>
    public DocumentBundleBuilder WithEntry(Resource resource)
    {
        _extra.Add(resource);
        return this;
    }

    public Bundle Build()
    {
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        var submission = new List
        {
            Status = List.ListStatus.Current,
            Mode = ListMode.Working,
            Code = new CodeableConcept("https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes", "submissionset"),
            Subject = new ResourceReference($"Patient/{_patient.Id}"),
            Date = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture),
            // PDSm_SubmissionSetComprehensive: uniqueId, the identifier a consumer finds the submission by.
            Identifier = [new Identifier("urn:ietf:rfc:3986", "urn:oid:1.2.250.1.999." + Random.Shared.NextInt64(1, long.MaxValue))],
        };
        Add(bundle, submission);
        var folder = new List
        {
            Status = List.ListStatus.Current,
            Mode = ListMode.Working,
            Code = new CodeableConcept("https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes", "folder"),
            Subject = new ResourceReference($"Patient/{_patient.Id}"),
        };
        if (_withFolder)
        {
            var folderUrl = "urn:uuid:" + Guid.NewGuid();
            submission.Entry.Add(new List.EntryComponent { Item = new ResourceReference(folderUrl) });
            Add(bundle, folder, folderUrl);
        }

        foreach (var document in _documents)
        {
            foreach (var content in document.Content.Where(c => c.Attachment?.Data is not null))
            {
                var binaryUrl = "urn:uuid:" + Guid.NewGuid();
                Add(bundle, new Binary { ContentType = content.Attachment.ContentType, Data = content.Attachment.Data }, binaryUrl);
                content.Attachment.Data = null;
                content.Attachment.Url = binaryUrl;
            }

            var documentUrl = "urn:uuid:" + Guid.NewGuid();
            submission.Entry.Add(new List.EntryComponent { Item = new ResourceReference(documentUrl) });
            folder.Entry.Add(new List.EntryComponent { Item = new ResourceReference(documentUrl) });
            Add(bundle, document, documentUrl);
        }

        foreach (var resource in _extra)
        {
            Add(bundle, resource);
        }

        return bundle;
    }

    private static void Add(Bundle bundle, Resource resource, string? fullUrl = null) =>
        bundle.Entry.Add(new Bundle.EntryComponent
        {
            FullUrl = fullUrl ?? "urn:uuid:" + Guid.NewGuid(),
            Resource = resource,
            Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = resource.TypeName },
        });
}

/// <summary>A legal representative of a minor's record (issue 14): their INS-NIR and their relationship (v3-RoleCode).</summary>
public sealed class RelatedPersonBuilder
{
    private readonly string _patientId;
    private string _representativeIns = TestIns.New();
    private string _relationship = "MTH";

    private RelatedPersonBuilder(string patientId) => _patientId = patientId;

    public string RepresentativeIns => _representativeIns;

    public static RelatedPersonBuilder For(Patient patient) => new(patient.Id ?? throw new ArgumentException("The patient has no id yet.", nameof(patient)));

    public RelatedPersonBuilder As(string roleCode)
    {
        _relationship = roleCode;
        return this;
    }

    public RelatedPersonBuilder Naming(string representativeIns)
    {
        _representativeIns = representativeIns;
        return this;
    }

    public RelatedPerson Build() => new()
    {
        Active = true,
        Patient = new ResourceReference($"Patient/{_patientId}"),
        Identifier = [new Identifier(Patients.Ins.NirSystem, _representativeIns)],
        Relationship = [new CodeableConcept(Patients.MinorRecord.RoleCodeSystem, _relationship)],
        Name = [new HumanName { Family = "Martin", Given = ["Marie"] }],
    };
}

/// <summary>An IHE MHD Folder List of a record, filing the documents given (PDSm_FolderComprehensive).</summary>
public static class FolderBuilder
{
    public static List For(Patient patient, params string[] documentIds) => new()
    {
        Status = List.ListStatus.Current,
        Mode = ListMode.Working,
        Code = new CodeableConcept("https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes", "folder"),
        Subject = new ResourceReference($"Patient/{patient.Id}"),
        Entry = [.. documentIds.Select(id => new List.EntryComponent { Item = new ResourceReference($"DocumentReference/{id}") })],
    };
}

/// <summary>FHIRPath Patch operations the SDK's PatchParameterExtensions do not build: a complex value given by parts.</summary>
public static class FhirPathPatches
{
    /// <summary>PDSm st_maj.md: an extension not yet present is added to DocumentReference, its url and value as parts.</summary>
    public static Parameters AddBooleanExtension(this Parameters patch, string url, bool value) =>
        patch.AddExtension("DocumentReference", url, "valueBoolean", new FhirBoolean(value));

    /// <summary>An extension added to the element at <paramref name="path"/> (Parameters.value[x] cannot hold an Extension itself).</summary>
    public static Parameters AddExtension(this Parameters patch, string path, string url, string valueName, DataType value)
    {
        patch.Parameter.Add(new Parameters.ParameterComponent
        {
            Name = "operation",
            Part =
            [
                new() { Name = "type", Value = new Code("add") },
                new() { Name = "path", Value = new FhirString(path) },
                new() { Name = "name", Value = new FhirString("extension") },
                new() { Name = "value", Part = [new() { Name = "url", Value = new FhirUri(url) }, new() { Name = valueName, Value = value }] },
            ],
        });
        return patch;
    }
}
