using System.Text.RegularExpressions;
using Hl7.Fhir.Model;

namespace DmpApi.Search;

/// <summary>The kinds of search parameter this server indexes (FHIR R4 §3.1.1.4).</summary>
public enum SearchParamKind { Token, String, Date, Reference, Uri }

/// <summary>One search parameter of one resource type, with the FHIRPath expression that fills its index.</summary>
/// <param name="Definition">The canonical URL of the SearchParameter that defines it, declared in the CapabilityStatement.</param>
public sealed record SearchParam(string ResourceType, string Name, SearchParamKind Kind, string Expression, IReadOnlyList<string> Targets, string Description,
    string? Definition = null);

/// <summary>
/// The search parameters of each supported type: the R4 SearchParameter definitions the Hl7.Fhir SDK ships,
/// narrowed to the type's own branch of each shared expression, plus our own (PDSm isArchived, MHD author.given/family).
/// </summary>
public sealed partial class SearchParameterRegistry
{
    /// <summary>PDSm archive flag on DocumentReference (extension isArchived, boolean), as the ANS PDSm SearchParameter defines it.</summary>
    public const string IsArchivedExtension = DmpApi.Access.DmpCodes.IsArchivedExtension;

    private readonly Dictionary<string, Dictionary<string, SearchParam>> _byType = new(StringComparer.Ordinal);

    public SearchParameterRegistry(IEnumerable<string> resourceTypes)
    {
        foreach (var type in resourceTypes)
        {
            var parameters = new Dictionary<string, SearchParam>(StringComparer.Ordinal);
            foreach (var definition in ModelInfo.SearchParameters.Where(d => d.Resource == type && d.Expression is not null))
            {
                var kind = definition.Type switch
                {
                    SearchParamType.Token => SearchParamKind.Token,
                    SearchParamType.String => SearchParamKind.String,
                    SearchParamType.Date => SearchParamKind.Date,
                    SearchParamType.Reference => SearchParamKind.Reference,
                    SearchParamType.Uri => SearchParamKind.Uri,
                    _ => (SearchParamKind?)null, // number, quantity, composite, special: none of our types needs them
                };
                if (kind is null || definition.Name is null || definition.Name.StartsWith('_'))
                {
                    continue;
                }

                var expression = OwnBranch(type, definition.Expression!);
                if (expression is null)
                {
                    continue;
                }

                parameters[definition.Name] = new SearchParam(type, definition.Name, kind.Value, expression,
                    (definition.Target ?? []).Select(t => t.ToString()).ToArray(), definition.Description?.ToString() ?? definition.Name,
                    PdsmDefinitions.TryGetValue((type, definition.Name), out var pdsm) ? pdsm : definition.Url);
            }

            foreach (var custom in Custom(type))
            {
                parameters[custom.Name] = custom;
            }

            _byType[type] = parameters;
        }
    }

    public IReadOnlyCollection<SearchParam> For(string resourceType) =>
        _byType.TryGetValue(resourceType, out var p) ? p.Values : [];

    public SearchParam? Find(string resourceType, string name) =>
        _byType.TryGetValue(resourceType, out var p) && (p.TryGetValue(name, out var sp) || p.TryGetValue(SearchParameterCode(name), out sp)) ? sp : null;

    /// <summary>
    /// PDSm's FSH spells the practice-name chains partOf.givenEx / partOf.familyEx (PDSm-DocumentReference-PractitionerRoleAsAuthor.fsh,
    /// PDSm-List-PractitionerRoleAsSource.fsh) where its SearchParameters' codes are given-ex / family-ex: both name the same parameter.
    /// </summary>
    private static string SearchParameterCode(string name) =>
        name.EndsWith(".partOf.givenEx", StringComparison.Ordinal) ? name[..^"givenEx".Length] + "given-ex"
        : name.EndsWith(".partOf.familyEx", StringComparison.Ordinal) ? name[..^"familyEx".Length] + "family-ex"
        : name;

    /// <summary>The canonical base of the ANS PDSm implementation guide (input/fsh/SearchParameter/*.fsh: {base}/SearchParameter/{Instance}).</summary>
    public const string PdsmSearchParameters = "https://interop.esante.gouv.fr/ig/fhir/pdsm/SearchParameter/";

    /// <summary>The PDSm archive flag as the current PDSm guide names it (PDSm_IsArchived.fsh); the older cisis URL is read too.</summary>
    public const string PdsmIsArchivedExtension = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-archived";

    private const string MhdExtensions = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/";

    /// <summary>
    /// SDK parameters that PDSm redefines with the same code and meaning (PDSm-DocumentReference-PatientAsSubject,
    /// -PractitionerRoleAsAuthor, PDSm-List-PatientAsSubject, -PatientAsSource): declared under PDSm's definition.
    /// </summary>
    private static readonly Dictionary<(string, string), string> PdsmDefinitions = new()
    {
        [("DocumentReference", "patient")] = PdsmSearchParameters + "PDSm-DocumentReference-PatientAsSubject",
        [("DocumentReference", "author")] = PdsmSearchParameters + "PDSm-DocumentReference-PractitionerRoleAsAuthor",
        [("List", "patient")] = PdsmSearchParameters + "PDSm-List-PatientAsSubject",
        [("List", "source")] = PdsmSearchParameters + "PDSm-List-PatientAsSource",
    };

    private static IEnumerable<SearchParam> Custom(string type)
    {
        if (type == "List")
        {
            // ITI-66 as PDSm lists it (input/pagecontent/st_recherche_lot.md): designationType and sourceId from IHE MHD, isArchived and authorOrg from PDSm.
            yield return new SearchParam(type, "designationType", SearchParamKind.Token,
                $"List.extension('{MhdExtensions}ihe-designationType').value", [], "IHE MHD: the clinical activity of the submission (designationType)",
                "https://profiles.ihe.net/ITI/MHD/SearchParameter/List-DesignationType");
            yield return new SearchParam(type, "sourceId", SearchParamKind.Token,
                $"List.extension('{MhdExtensions}ihe-sourceId').value", [], "IHE MHD: the identifier of the submitting system (sourceId)",
                "https://profiles.ihe.net/ITI/MHD/SearchParameter/List-SourceId");
            yield return new SearchParam(type, "isArchived", SearchParamKind.Token,
                $"List.extension.where(url='{PdsmIsArchivedExtension}' or url='{IsArchivedExtension}').value", [], "PDSm: whether the List is archived (true/false)",
                PdsmSearchParameters + "PDSm-isArchived");
            foreach (var chained in PdsmAuthorChains(type, "source"))
            {
                yield return chained;
            }

            // PDSm-List-PatientAsSource.fsh: source:Patient.given and .family, the patient who submitted (carried contained, IHE MHD Comprehensive).
            var patients = $"{Authors("source")}.ofType(Patient)";
            yield return new SearchParam(type, "source.given", SearchParamKind.String, $"{patients}.name.given", [],
                "PDSm: given name of the patient who submitted the List (source:Patient.given)", PdsmSearchParameters + "PDSm-List-PatientAsSource");
            yield return new SearchParam(type, "source.family", SearchParamKind.String, $"{patients}.name.family", [],
                "PDSm: family name of the patient who submitted the List (source:Patient.family)", PdsmSearchParameters + "PDSm-List-PatientAsSource");
            yield return new SearchParam(type, "authorOrg", SearchParamKind.Reference,
                $"List.extension.where(url='{MhdExtensions}ihe-authorOrg').value | List.source.extension.where(url='{MhdExtensions}ihe-authorOrg').value",
                ["Organization"], "PDSm: the organisation that authored the submission (authorOrg)", PdsmSearchParameters + "PDSm-List-authorOrg");
        }

        // R4 gives Immunization and Observation a `date` but not Condition or MedicationStatement; the health profile is
        // searched by `date` on every type (issue 15), so the entry's own clinical date answers it (onset-date, effective).
        if (type == "Condition")
        {
            yield return new SearchParam(type, "date", SearchParamKind.Date, "Condition.onset.as(dateTime) | Condition.onset.as(Period)", [],
                "DmpApi: when the condition began (as onset-date), the date every health profile type is searched by");
        }

        if (type == "MedicationStatement")
        {
            yield return new SearchParam(type, "date", SearchParamKind.Date, "MedicationStatement.effective", [],
                "DmpApi: when the medication is or was taken (as effective), the date every health profile type is searched by");
        }

        if (type == "DocumentReference")
        {
            yield return new SearchParam(type, "isArchived", SearchParamKind.Token,
                $"DocumentReference.extension('{IsArchivedExtension}').value", [], "PDSm: whether the document is archived (true/false)",
                PdsmSearchParameters + "PDSm-isArchived");
            // PDSm-DocumentReference-period-start.fsh / -period-end.fsh: dateDebutActe and dateFinActe.
            yield return new SearchParam(type, "period-start", SearchParamKind.Date, "DocumentReference.context.period.start", [],
                "PDSm: start of the act the document reports (dateDebutActe)", PdsmSearchParameters + "PDSm-DocumentReference-period-start");
            yield return new SearchParam(type, "period-end", SearchParamKind.Date, "DocumentReference.context.period.end", [],
                "PDSm: end of the act the document reports (dateFinActe)", PdsmSearchParameters + "PDSm-DocumentReference-period-end");
            // IHE MHD ITI-67: when the document itself was created.
            yield return new SearchParam(type, "creation", SearchParamKind.Date, "DocumentReference.content.attachment.creation", [],
                "IHE MHD: when the document was created (attachment.creation)", "https://profiles.ihe.net/ITI/MHD/SearchParameter/DocumentReference-Creation");
            // IHE MHD ITI-67: author.given / author.family over the author, contained or not.
            yield return new SearchParam(type, "author.given", SearchParamKind.String,
                "DocumentReference.contained.ofType(Practitioner).name.given | DocumentReference.contained.ofType(PractitionerRole).practitioner.display",
                [], "IHE MHD: given name of the document's author");
            yield return new SearchParam(type, "author.family", SearchParamKind.String,
                "DocumentReference.contained.ofType(Practitioner).name.family", [], "IHE MHD: family name of the document's author");
            // PDSm st_recherche_fiche.md: the author by identifier (Practitioner, PractitionerRole, Patient or Device), contained or logical.
            yield return new SearchParam(type, "author.identifier", SearchParamKind.Token, $"{Authors("author")}.identifier | DocumentReference.author.identifier", [],
                "PDSm: identifier of the document's author (RPPS, idNatPs, INS…)", PdsmSearchParameters + "PDSm-DocumentReference-PractitionerRoleAsAuthor");
            foreach (var chained in PdsmAuthorChains(type, "author"))
            {
                yield return chained;
            }
        }
    }

    private const string AnnuaireExtensions = "https://apifhir.annuaire.sante.fr/ws-sync/exposed/structuredefinition/";

    /// <summary>
    /// The contained resources that an author reference of the resource names (`#id`, IHE MHD Comprehensive: authors are
    /// contained). %resource is the resource indexed, also inside where(): the server resolves nothing outside it.
    /// </summary>
    private static string Authors(string element) => $"%resource.contained.where(('#' + id) in %resource.{element}.reference)";

    /// <summary>
    /// PDSm's chains on a PractitionerRole author (PDSm-DocumentReference-PractitionerRoleAsAuthor.fsh,
    /// PDSm-List-PractitionerRoleAsSource.fsh): partOf.practitioner.identifier/given/family, the professional of the role or
    /// of the role it is part of (PDSm-PractitionerRole-partOf.fsh, extension practitionerRole-partOf), and partOf.given-ex /
    /// family-ex, the name the professional practises under (PDSm-PractitionerRole-given-ex.fsh / -family-ex.fsh).
    /// </summary>
    private static IEnumerable<SearchParam> PdsmAuthorChains(string type, string element)
    {
        var definition = PdsmSearchParameters + (type == "List" ? "PDSm-List-PractitionerRoleAsSource" : "PDSm-DocumentReference-PractitionerRoleAsAuthor");
        var roles = $"{Authors(element)}.ofType(PractitionerRole)";
        var partOf = $"%resource.contained.ofType(PractitionerRole).where(('#' + id) in {roles}.extension('{AnnuaireExtensions}practitionerRole-partOf').value.reference)";
        var allRoles = $"({roles} | {partOf})";
        var practitioners = $"%resource.contained.ofType(Practitioner).where(('#' + id) in {allRoles}.practitioner.reference)";
        var names = $"{allRoles}.extension('{AnnuaireExtensions}practitionerRole-name').value";
        if (type == "DocumentReference")
        {
            yield return new SearchParam(type, $"{element}.partOf.practitioner.identifier", SearchParamKind.Token, $"{practitioners}.identifier", [],
                "PDSm: identifier of the professional behind the author's practice situation", definition);
        }

        yield return new SearchParam(type, $"{element}.partOf.practitioner.given", SearchParamKind.String, $"{practitioners}.name.given", [],
            "PDSm: given name of the professional behind the author's practice situation", definition);
        yield return new SearchParam(type, $"{element}.partOf.practitioner.family", SearchParamKind.String, $"{practitioners}.name.family", [],
            "PDSm: family name of the professional behind the author's practice situation", definition);
        yield return new SearchParam(type, $"{element}.partOf.given-ex", SearchParamKind.String, $"{names}.given", [],
            "PDSm: given name the author practises under (practitionerRole-name)", PdsmSearchParameters + "PDSm-PractitionerRole-given-ex");
        yield return new SearchParam(type, $"{element}.partOf.family-ex", SearchParamKind.String, $"{names}.family", [],
            "PDSm: family name the author practises under (practitionerRole-name)", PdsmSearchParameters + "PDSm-PractitionerRole-family-ex");
    }

    /// <summary>
    /// Keeps the branches of a shared R4 expression that apply to this type, and turns `where(resolve() is X)`
    /// into a check on the reference text: the server has no resolver, and the target type is in the reference.
    /// </summary>
    private static string? OwnBranch(string type, string expression)
    {
        var branches = SplitUnion(expression)
            .Select(b => b.Trim())
            .Where(b => b.StartsWith(type + ".", StringComparison.Ordinal) || b.StartsWith("(" + type + ".", StringComparison.Ordinal))
            .Select(b => ResolveIs().Replace(b, m => $".where(reference.startsWith('{m.Groups[1].Value}/') or reference.contains('/{m.Groups[1].Value}/'))"))
            .ToList();
        return branches.Count == 0 ? null : string.Join(" | ", branches);
    }

    private static IEnumerable<string> SplitUnion(string expression)
    {
        var depth = 0;
        var quoted = false;
        var start = 0;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (c == '\'') quoted = !quoted;
            else if (!quoted && c == '(') depth++;
            else if (!quoted && c == ')') depth--;
            else if (!quoted && depth == 0 && c == '|')
            {
                yield return expression[start..i];
                start = i + 1;
            }
        }

        yield return expression[start..];
    }

    [GeneratedRegex(@"\.where\(resolve\(\) is (\w+)\)")]
    private static partial Regex ResolveIs();
}
