using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;

namespace DmpApi.Tests.Integration;

/// <summary>
/// String search on Patient names (FHIR R4 §3.1.1.4.5): by default starts-with, case- and accent-insensitive;
/// :exact and :contains. Each test narrows the search to its own patients with _id, so that others never match.
/// </summary>
public sealed class PatientSearchTests(TestStore store) : StoreFixture(store)
{
    [TestCase("family=dupo")]
    [TestCase("family=DUPONT")]
    [TestCase("name=dup")]
    public async Task String_search_matches_the_start_of_the_name_whatever_the_case(string criterion)
    {
        var (dupont, durand) = await TwoPatientsAsync(("Dupont", "Jean"), ("Durand", "Marie"));

        var ids = await MatchIdsAsync(criterion, dupont, durand);

        Assert.That(ids, Is.EquivalentTo(new[] { dupont.Id }));
    }

    [Test]
    public async Task String_search_does_not_match_the_middle_of_a_name_by_default()
    {
        var (dupont, durand) = await TwoPatientsAsync(("Dupont", "Jean"), ("Durand", "Marie"));

        var ids = await MatchIdsAsync("family=pont", dupont, durand);

        Assert.That(ids, Is.Empty);
    }

    [Test]
    public async Task Searching_without_accent_finds_the_accented_name()
    {
        var (helene, other) = await TwoPatientsAsync(("Martin", "Hélène"), ("Martin", "Hugo"));

        var ids = await MatchIdsAsync("given=helene", helene, other);

        Assert.That(ids, Is.EquivalentTo(new[] { helene.Id }));
    }

    [Test]
    public async Task Searching_with_accent_finds_the_name_written_without()
    {
        var (helene, other) = await TwoPatientsAsync(("Martin", "Helene"), ("Martin", "Hugo"));

        var ids = await MatchIdsAsync($"name={Uri.EscapeDataString("Hélène")}", helene, other);

        Assert.That(ids, Is.EquivalentTo(new[] { helene.Id }));
    }

    [Test]
    public async Task Exact_matches_the_whole_name_with_its_case_and_accents()
    {
        var (hele, other) = await TwoPatientsAsync(("Lefèvre", "Anne"), ("Lefevre", "Anne"));

        var exact = await MatchIdsAsync($"family:exact={Uri.EscapeDataString("Lefèvre")}", hele, other);
        var wrongCase = await MatchIdsAsync($"family:exact={Uri.EscapeDataString("lefèvre")}", hele, other);
        var prefix = await MatchIdsAsync($"family:exact={Uri.EscapeDataString("Lefè")}", hele, other);

        Assert.Multiple(() =>
        {
            Assert.That(exact, Is.EquivalentTo(new[] { hele.Id }));
            Assert.That(wrongCase, Is.Empty);
            Assert.That(prefix, Is.Empty);
        });
    }

    [Test]
    public async Task Contains_matches_anywhere_in_the_name()
    {
        var (dupont, durand) = await TwoPatientsAsync(("Dupont", "Jean"), ("Durand", "Marie"));

        var ids = await MatchIdsAsync("family:contains=PON", dupont, durand);

        Assert.That(ids, Is.EquivalentTo(new[] { dupont.Id }));
    }

    [Test]
    public async Task Comma_separated_values_match_either()
    {
        var (dupont, durand) = await TwoPatientsAsync(("Dupont", "Jean"), ("Durand", "Marie"));

        var ids = await MatchIdsAsync("family=dupont,durand", dupont, durand);

        Assert.That(ids, Is.EquivalentTo(new[] { dupont.Id, durand.Id }));
    }

    [Test]
    public async Task Search_by_identifier_finds_the_patient_by_INS()
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);

        var bundle = await Fhir.SearchBundleAsync("Patient", $"identifier={Uri.EscapeDataString($"{DmpApi.Patients.Ins.NirSystem}|{builder.Ins}")}");

        Assert.That(bundle.MatchIds(), Is.EquivalentTo(new[] { patient.Id }));
    }

    private async Task<(Patient First, Patient Second)> TwoPatientsAsync((string Family, string Given) first, (string Family, string Given) second) =>
        (await CreatePatientAsync(new PatientBuilder().Named(first.Family, first.Given)),
         await CreatePatientAsync(new PatientBuilder().Named(second.Family, second.Given)));

    private async Task<string[]> MatchIdsAsync(string criterion, params Patient[] among)
    {
        var bundle = await Fhir.SearchBundleAsync("Patient", $"{criterion}&_id={string.Join(',', among.Select(p => p.Id))}");
        return bundle.MatchIds();
    }
}
