using DmpApi.Access;
using DmpApi.Auth;

namespace DmpApi.Tests.Access;

/// <summary>DMP-RULES §2 rule 5: the shipped matrice d'habilitations (arrêté du 26 octobre 2023), profession × document type.</summary>
public sealed class HabilitationMatrixTests
{
    private static readonly HabilitationMatrix Shipped = HabilitationMatrix.Load(new AccessOptions().HabilitationsPath);

    private static QualifiedCode Loinc(string code) => new(DmpCodes.LoincSystem, code);

    private static QualifiedCode TreA05(string code) => new(DmpCodes.TreA05System, code);

    private static bool Reads(string profession, params QualifiedCode[] types) => Shipped.CanRead(profession, types);

    private static readonly object[] PharmacistExclusions =
    [
        Loinc("75496-0"), Loinc("34842-5"), Loinc("68599-0"), Loinc("83901-9"), Loinc("68817-6"), Loinc("89601-9"),
        TreA05("EXPPAT_3"), TreA05("ATTEST-RESID"), TreA05("ATTEST-HEBGT"), Loinc("86531-1"),
    ];

    private static readonly object[] DentistExclusions = [Loinc("80788-3"), Loinc("75496-0"), Loinc("83981-1"), Loinc("83901-9"), Loinc("68599-0")];

    private static readonly object[] CommonTypes =
    [
        Loinc("34112-3"), Loinc("11490-0"), Loinc("11502-2"), Loinc("18748-4"), Loinc("11488-4"), Loinc("15507-7"), Loinc("34874-8"),
        Loinc("87273-9"), Loinc("11369-6"), Loinc("56445-0"), Loinc("78601-2"), Loinc("60593-1"), Loinc("60591-5"),
    ];

    [TestCaseSource(nameof(CommonTypes))]
    [TestCaseSource(nameof(PharmacistExclusions))]
    public void Doctor_reads_every_type_but_the_residence_certificate(QualifiedCode type) =>
        Assert.That(Reads("10", type), Is.EqualTo(type != TreA05("ATTEST-RESID")));

    [Test]
    public void Doctor_cannot_read_a_residence_certificate() => Assert.That(Reads("10", TreA05("ATTEST-RESID")), Is.False);

    [Test]
    public void Pharmacist_cannot_read_advance_directives() => Assert.That(Reads("21", TreA05("EXPPAT_3")), Is.False);

    [TestCaseSource(nameof(PharmacistExclusions))]
    public void Pharmacist_cannot_read_the_types_excluded_from_their_row(QualifiedCode type) => Assert.That(Reads("21", type), Is.False);

    [TestCaseSource(nameof(CommonTypes))]
    public void Pharmacist_reads_the_other_types(QualifiedCode type) => Assert.That(Reads("21", type), Is.True);

    [TestCaseSource(nameof(DentistExclusions))]
    public void Dentist_cannot_read_the_types_excluded_from_their_row(QualifiedCode type) => Assert.That(Reads("40", type), Is.False);

    [Test]
    public void Dentist_reads_advance_directives_and_an_operative_report() =>
        Assert.That(Reads("40", TreA05("EXPPAT_3")) && Reads("40", Loinc("34874-8")), Is.True);

    [TestCase("50")]
    [TestCase("60")]
    [TestCase("70")]
    [TestCase("98")]
    public void Other_known_professions_read_like_the_pharmacist(string profession) =>
        Assert.That(Shipped.ReadableTypes(profession), Is.EqualTo(Shipped.ReadableTypes("21")).Using<DocumentTypeFilter>(SameFilter));

    [Test]
    public void Every_profession_the_tokens_accept_has_a_row() =>
        Assert.That(Requester.KnownProfessions.Where(p => Shipped.For(p) is null), Is.Empty);

    [Test]
    public void Unknown_profession_reads_no_document_type()
    {
        Assert.That(Shipped.ReadableTypes("99"), Is.SameAs(DocumentTypeFilter.None));
        Assert.That(Reads("99", Loinc("11488-4")), Is.False);
        Assert.That(Shipped.CanRead(null, [Loinc("11488-4")]), Is.False);
    }

    [Test]
    public void Document_of_a_type_system_outside_the_matrix_is_read_by_no_professional() =>
        Assert.That(Reads("10", new QualifiedCode("urn:oid:1.2.250.1.213.1.1.4.12", "CR-BIO")), Is.False);

    [Test]
    public void Document_without_type_is_read_by_no_professional() => Assert.That(Reads("10"), Is.False);

    [Test]
    public void Types_are_qualified_by_their_system() =>
        Assert.That(Reads("21", new QualifiedCode(DmpCodes.LoincSystem, "EXPPAT_3")), Is.True, "EXPPAT_3 is excluded as a TRE_A05 code, not as a LOINC one");

    [Test]
    public void Document_typed_twice_is_read_only_when_both_types_are_permitted()
    {
        Assert.That(Reads("21", Loinc("11488-4"), TreA05("EXPPAT_3")), Is.False);
        Assert.That(Reads("21", Loinc("11488-4"), new QualifiedCode("urn:other", "X")), Is.True, "a code outside the matrix systems neither grants nor denies");
    }

    [Test]
    public void A_row_can_list_only_the_types_it_reads()
    {
        Assert.That(HabilitationMatrix.TryParse("""
            { "systems": { "LOINC": "http://loinc.org" },
              "professions": [ { "code": "86", "reads": { "only": [ "LOINC|11502-2" ] } } ] }
            """, out var matrix, out var problems), Is.True, () => string.Join(" ", problems));

        Assert.That(matrix!.CanRead("86", [Loinc("11502-2")]), Is.True);
        Assert.That(matrix.CanRead("86", [Loinc("11488-4")]), Is.False);
        Assert.That(matrix.ReadableTypes("86").Scope, Is.EqualTo(DocumentTypeScope.Only));
    }

    [Test]
    public void Pharmacist_filter_lists_the_excluded_types_for_the_store()
    {
        var filter = Shipped.ReadableTypes("21");

        Assert.That(filter.Scope, Is.EqualTo(DocumentTypeScope.AllExcept));
        Assert.That(filter.Types, Is.EquivalentTo(PharmacistExclusions));
        Assert.That(filter.Systems, Is.EquivalentTo(new[] { DmpCodes.LoincSystem, DmpCodes.TreA05System }));
    }

    private static bool SameFilter(DocumentTypeFilter a, DocumentTypeFilter b) =>
        a.Scope == b.Scope && a.Types.SetEquals(b.Types) && a.Systems.SetEquals(b.Systems);
}
