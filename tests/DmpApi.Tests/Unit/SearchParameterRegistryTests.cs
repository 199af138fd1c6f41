using DmpApi.Endpoints;
using DmpApi.Search;

namespace DmpApi.Tests.Unit;

/// <summary>The search parameters each type offers (DESIGN §4 "Search", IHE MHD ITI-67).</summary>
public sealed class SearchParameterRegistryTests
{
    private static readonly SearchParameterRegistry Registry = new(FhirResources.Types);

    [Test]
    public void DocumentReference_has_the_IHE_MHD_ITI_67_parameters_plus_relatesto_and_isArchived()
    {
        string[] expected =
        [
            "patient", "status", "type", "category", "date", "period", "event", "facility", "setting", "format",
            "identifier", "related", "security-label", "relatesto", "isArchived", "author.given", "author.family",
        ];

        var names = Registry.For("DocumentReference").Select(p => p.Name);

        Assert.That(names, Is.SupersetOf(expected));
    }

    [TestCase("patient", SearchParamKind.Reference)]
    [TestCase("subject", SearchParamKind.Reference)]
    [TestCase("status", SearchParamKind.Token)]
    [TestCase("type", SearchParamKind.Token)]
    [TestCase("date", SearchParamKind.Date)]
    [TestCase("period", SearchParamKind.Date)]
    [TestCase("security-label", SearchParamKind.Token)]
    [TestCase("isArchived", SearchParamKind.Token)]
    [TestCase("author.family", SearchParamKind.String)]
    public void DocumentReference_parameters_have_their_FHIR_kind(string name, SearchParamKind kind)
    {
        Assert.That(Registry.Find("DocumentReference", name)?.Kind, Is.EqualTo(kind));
    }

    [Test]
    public void The_patient_expression_no_longer_needs_resolve()
    {
        var patient = Registry.Find("DocumentReference", "patient");

        Assert.Multiple(() =>
        {
            Assert.That(patient, Is.Not.Null);
            Assert.That(patient!.Expression, Does.Not.Contain("resolve()"));
            Assert.That(patient.Expression, Does.StartWith("DocumentReference.subject"));
        });
    }

    [Test]
    public void No_registered_expression_uses_resolve()
    {
        var withResolve = FhirResources.Types.SelectMany(Registry.For).Where(p => p.Expression.Contains("resolve()")).Select(p => $"{p.ResourceType}.{p.Name}");

        Assert.That(withResolve, Is.Empty);
    }

    [Test]
    public void A_shared_expression_keeps_only_the_types_own_branch()
    {
        var patient = Registry.Find("AllergyIntolerance", "patient");

        Assert.That(patient?.Expression, Is.EqualTo("AllergyIntolerance.patient"));
    }

    [Test]
    public void isArchived_reads_the_PDSm_extension()
    {
        Assert.That(Registry.Find("DocumentReference", "isArchived")?.Expression, Does.Contain("extension('http://esante.gouv.fr/cisis/fhir/StructureDefinition/PDSm_isArchived')"));
    }

    [TestCase("Patient", "identifier")]
    [TestCase("Patient", "family")]
    [TestCase("Patient", "name")]
    [TestCase("AllergyIntolerance", "patient")]
    [TestCase("AllergyIntolerance", "code")]
    [TestCase("Consent", "patient")]
    [TestCase("Consent", "status")]
    public void Each_type_has_its_standard_R4_parameters(string type, string name)
    {
        Assert.That(Registry.Find(type, name), Is.Not.Null);
    }

    [Test]
    public void Unknown_types_and_names_are_not_found()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Registry.Find("DocumentReference", "no-such-parameter"), Is.Null);
            Assert.That(Registry.For("Questionnaire"), Is.Empty);
        });
    }
}
