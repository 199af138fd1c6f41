namespace DmpApi.Tests.Structure;

/// <summary>
/// Issue 11 §4, a house with floors: Fhir/ (formats, results, errors) and Storage/ (versioned rows) know no feature,
/// features sit above them, Endpoints/OpenApi/Program on top, and no folder of src/DmpApi reaches back to itself.
/// The dependencies are read from the source by the compiler (<see cref="NamespaceGraph"/>).
/// </summary>
public sealed class NamespaceCycleTests
{
    /// <summary>The ground floor: what every feature builds on.</summary>
    private static readonly string[] GroundFloor = ["Fhir", "Storage"];

    /// <summary>The top floor: what maps, documents and runs the features; nothing below may import it.</summary>
    private static readonly string[] TopFloor = ["Endpoints", "OpenApi", "Seeding", "Hosting", "DmpApi"];

    private static readonly Lazy<NamespaceGraph> Source = new(() => NamespaceGraph.OfSourceFolder(SourceFolder()));

    [Test]
    public void The_compiler_binds_every_name_of_src_DmpApi()
    {
        Assert.That(Source.Value.Unresolved.Select(d => d.ToString()), Is.Empty,
            "an unbound name hides its dependency from the floor tests");
    }

    [Test]
    public void The_folders_of_src_DmpApi_form_no_namespace_cycle()
    {
        var cycles = Source.Value.Cycles();

        Assert.That(cycles.Select(Describe), Is.Empty);
    }

    [Test]
    public void Fhir_and_Storage_import_no_feature()
    {
        var upward = GroundFloor.SelectMany(Source.Value.From)
            .Where(use => !GroundFloor.Contains(use.To))
            .Select(use => use.ToString());

        Assert.That(upward, Is.Empty);
    }

    [Test]
    public void No_feature_imports_Endpoints_OpenApi_Seeding_Hosting_or_Program()
    {
        var downward = Source.Value.Uses
            .Where(use => !TopFloor.Contains(use.From) && TopFloor.Contains(use.To))
            .Select(use => use.ToString());

        Assert.That(downward, Is.Empty, "a feature describes itself; the top floor reads the description");
    }

    [Test]
    public void Fhir_is_below_Storage()
    {
        Assert.That(Source.Value.From("Fhir").Select(use => use.ToString()), Is.Empty,
            "formats, results and errors know no rows");
    }

    [Test]
    public void A_fully_qualified_use_is_a_dependency_and_closes_a_named_cycle()
    {
        var graph = NamespaceGraph.Of([
            ("Storage/Row.cs", "namespace DmpApi.Storage; public sealed class Row { public DmpApi.Audit.Trail? Trail; }"),
            ("Audit/Trail.cs", "using DmpApi.Storage; namespace DmpApi.Audit; public sealed class Trail { public Row? Row; }"),
            ("Fhir/Format.cs", "namespace DmpApi.Fhir { public static class Format { public static int Size(string s) => s.Length; } }"),
            ("Documents/Doc.cs", "namespace DmpApi.Documents; public static class Doc { public static int N() => Fhir.Format.Size(\"x\"); }"),
        ]);

        var cycle = graph.Cycles().Single();

        Assert.Multiple(() =>
        {
            Assert.That(Describe(cycle), Is.EqualTo("Audit → Storage → Audit: Audit → Storage (Audit/Trail.cs:1 uses Storage); Storage → Audit (Storage/Row.cs:1 uses Audit)"));
            Assert.That(graph.Edges, Does.Contain(("Documents", "Fhir")), "a name qualified from the enclosing namespace, with no using");
            Assert.That(graph.Unresolved, Is.Empty);
        });
    }

    [Test, Explicit("prints the graph for docs/ARCHITECTURE.md")]
    public void Print_the_namespace_graph()
    {
        foreach (var use in Source.Value.Uses.OrderBy(u => u.From, StringComparer.Ordinal).ThenBy(u => u.To, StringComparer.Ordinal))
        {
            TestContext.Out.WriteLine(use);
        }
    }

    private static string Describe(IReadOnlyList<NamespaceUse> cycle) =>
        $"{string.Join(" → ", cycle.Select(u => u.From).Append(cycle[0].From))}: {string.Join("; ", cycle)}";

    private static string SourceFolder()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "DmpApi.sln")))
            {
                return Path.Combine(dir.FullName, "src", "DmpApi");
            }
        }

        throw new DirectoryNotFoundException("DmpApi.sln not found above " + TestContext.CurrentContext.TestDirectory);
    }
}
