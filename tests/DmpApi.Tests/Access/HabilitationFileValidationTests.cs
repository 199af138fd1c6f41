using DmpApi.Access;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace DmpApi.Tests.Access;

/// <summary>DMP-RULES §2 rule 5: the matrix file is data the operator replaces; a broken one stops the start, never loosens access.</summary>
public sealed class HabilitationFileValidationTests
{
    private const string Systems = """
        "systems": { "LOINC": "http://loinc.org", "TRE_A05": "https://mos.esante.gouv.fr/NOS/TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire" }
        """;

    private string folder = null!;

    [SetUp]
    public void CreateFolder() => folder = Directory.CreateTempSubdirectory("dmp-habilitations-").FullName;

    [TearDown]
    public void DeleteFolder() => Directory.Delete(folder, recursive: true);

    private static IReadOnlyList<string> Problems(string json)
    {
        Assert.That(HabilitationMatrix.TryParse(json, out var matrix, out var problems), Is.False, "the file should be refused");
        Assert.That(matrix, Is.Null);
        return problems;
    }

    private static string WithRows(string rows) => $$"""{ {{Systems}}, "professions": [ {{rows}} ] }""";

    [Test]
    public void Shipped_matrix_is_valid()
    {
        var path = new AccessOptions().HabilitationsPath;

        Assert.That(File.Exists(path), Is.True, $"{path} is copied to the output");
        Assert.That(HabilitationMatrix.TryLoad(path, out _, out var problems), Is.True, () => string.Join(" ", problems));
    }

    [Test]
    public void File_that_is_not_json_is_refused() =>
        Assert.That(Problems("professions: 10"), Has.One.Contains("not a valid matrix file"));

    [Test]
    public void Misspelt_key_is_refused() =>
        Assert.That(Problems(WithRows("""{ "code": "21", "reads": { "allExept": [ "LOINC|75496-0" ] } }""")), Has.One.Contains("allExept"));

    [Test]
    public void LOINC_code_with_a_wrong_check_digit_is_refused() =>
        Assert.That(Problems(WithRows("""{ "code": "21", "reads": { "allExcept": [ "LOINC|75496-1" ] } }""")),
            Has.One.Contains("professions[0].reads.allExcept[0]").And.Contains("check digit of '75496-1' should be 0"));

    [Test]
    public void Malformed_LOINC_code_is_refused() =>
        Assert.That(Problems(WithRows("""{ "code": "21", "reads": { "allExcept": [ "LOINC|EXPPAT_3" ] } }""")), Has.One.Contains("not a LOINC code"));

    [Test]
    public void Malformed_TRE_A05_code_is_refused() =>
        Assert.That(Problems(WithRows("""{ "code": "21", "reads": { "allExcept": [ "TRE_A05|EXPPAT 3" ] } }""")), Has.One.Contains("not a well-formed code"));

    [Test]
    public void Type_without_a_declared_system_is_refused()
    {
        Assert.That(Problems(WithRows("""{ "code": "21", "reads": { "allExcept": [ "SNOMED|123" ] } }""")), Has.One.Contains("'SNOMED' is not declared"));
        Assert.That(Problems(WithRows("""{ "code": "21", "reads": { "allExcept": [ "75496-0" ] } }""")), Has.One.Contains("SYSTEM|code"));
    }

    [Test]
    public void System_that_is_not_an_absolute_uri_is_refused() =>
        Assert.That(Problems("""{ "systems": { "LOINC": "loinc" }, "professions": [ { "code": "10", "reads": { "allExcept": [] } } ] }"""),
            Has.One.Contains("not an absolute URI"));

    [Test]
    public void File_without_systems_or_professions_is_refused()
    {
        Assert.That(Problems("{}"), Has.Some.Contains("'systems'").And.Some.Contains("'professions'"));
        Assert.That(Problems("null"), Has.One.Contains("empty"));
    }

    [Test]
    public void Malformed_profession_code_is_refused() =>
        Assert.That(Problems(WithRows("""{ "code": "médecin", "reads": { "allExcept": [] } }""")), Has.One.Contains("TRE_G15"));

    [Test]
    public void Profession_listed_twice_is_refused() =>
        Assert.That(Problems(WithRows("""{ "code": "10", "reads": { "allExcept": [] } }, { "code": "10", "reads": { "only": [] } }""")),
            Has.One.Contains("listed twice"));

    [Test]
    public void Row_must_have_exactly_one_of_reads_and_readsLike()
    {
        Assert.That(Problems(WithRows("""{ "code": "21", "reads": { "allExcept": [] }, "readsLike": "10" }, { "code": "10", "reads": { "allExcept": [] } }""")),
            Has.One.Contains("exactly one of 'reads' and 'readsLike'"));
        Assert.That(Problems(WithRows("""{ "code": "21" }""")), Has.One.Contains("exactly one of 'reads' and 'readsLike'"));
    }

    [Test]
    public void Reads_must_have_exactly_one_of_allExcept_and_only() =>
        Assert.That(Problems(WithRows("""{ "code": "21", "reads": { "allExcept": [], "only": [] } }""")), Has.One.Contains("exactly one of 'allExcept' and 'only'"));

    [Test]
    public void ReadsLike_must_name_a_row_with_its_own_reads()
    {
        Assert.That(Problems(WithRows("""{ "code": "60", "readsLike": "21" }""")), Has.One.Contains("readsLike '21'"));
        Assert.That(Problems(WithRows("""{ "code": "21", "reads": { "allExcept": [] } }, { "code": "50", "readsLike": "21" }, { "code": "60", "readsLike": "50" }""")),
            Has.One.Contains("readsLike '50'"));
    }

    [Test]
    public void Type_listed_twice_is_refused() =>
        Assert.That(Problems(WithRows("""{ "code": "21", "reads": { "allExcept": [ "LOINC|75496-0", "LOINC|75496-0" ] } }""")), Has.One.Contains("listed twice"));

    [Test]
    public void Every_problem_is_reported_at_once() =>
        Assert.That(Problems(WithRows("""{ "code": "21", "reads": { "allExcept": [ "LOINC|75496-1", "X|1" ] } }, { "code": "1" }""")), Has.Count.EqualTo(3));

    [Test]
    public void Loading_a_broken_file_throws_with_its_problems()
    {
        var path = Path.Combine(folder, "broken.json");
        File.WriteAllText(path, WithRows("""{ "code": "21", "reads": { "allExcept": [ "LOINC|75496-1" ] } }"""));

        Assert.That(() => HabilitationMatrix.Load(path), Throws.TypeOf<InvalidDataException>().With.Message.Contains("check digit"));
    }

    // Start-up validation through AddAccessRules (Access:HabilitationsFile, ValidateOnStart).

    private static ServiceProvider Services(string? habilitationsFile)
    {
        var settings = new Dictionary<string, string?>();
        if (habilitationsFile is not null)
        {
            settings["Access:HabilitationsFile"] = habilitationsFile;
        }

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddAccessRules();
        return services.BuildServiceProvider();
    }

    private static void Start(ServiceProvider services) => services.GetRequiredService<IStartupValidator>().Validate();

    [Test]
    public void Start_loads_the_shipped_matrix_by_default()
    {
        using var services = Services(null);

        Assert.That(() => Start(services), Throws.Nothing);
        Assert.That(services.GetRequiredService<HabilitationMatrix>().For("21")?.Name, Is.EqualTo("Pharmacien"));
        Assert.That(services.GetRequiredService<DocumentVisibility>(), Is.Not.Null);
    }

    [Test]
    public void Start_uses_the_configured_matrix_file()
    {
        var path = Path.Combine(folder, "habilitations.json");
        File.WriteAllText(path, WithRows("""{ "code": "10", "name": "Médecin (test)", "reads": { "only": [ "LOINC|11502-2" ] } }"""));
        using var services = Services(path);

        Start(services);

        var matrix = services.GetRequiredService<HabilitationMatrix>();
        Assert.That(matrix.For("10")?.Name, Is.EqualTo("Médecin (test)"));
        Assert.That(matrix.For("21"), Is.Null, "a profession the file does not list reads nothing");
    }

    [Test]
    public void Start_fails_when_the_matrix_file_is_missing()
    {
        using var services = Services(Path.Combine(folder, "missing.json"));

        Assert.That(() => Start(services), Throws.TypeOf<OptionsValidationException>().With.Message.Contains("does not exist"));
    }

    [Test]
    public void Start_fails_when_the_matrix_file_is_broken()
    {
        var path = Path.Combine(folder, "habilitations.json");
        File.WriteAllText(path, WithRows("""{ "code": "21", "reads": { "allExcept": [ "LOINC|75496-1" ] } }"""));
        using var services = Services(path);

        Assert.That(() => Start(services), Throws.TypeOf<OptionsValidationException>().With.Message.Contains("check digit"));
    }

    [Test]
    public void Start_fails_when_no_matrix_file_is_named()
    {
        using var services = Services(" ");

        Assert.That(() => Start(services), Throws.TypeOf<OptionsValidationException>().With.Message.Contains("Access:HabilitationsFile"));
    }
}
