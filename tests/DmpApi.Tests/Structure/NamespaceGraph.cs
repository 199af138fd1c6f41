using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DmpApi.Tests.Structure;

/// <summary>Where one file of a folder of src/DmpApi first uses another folder, so a failure can point at it.</summary>
public sealed record NamespaceUse(string From, string To, string File, int Line, string Name)
{
    public override string ToString() => $"{From} → {To} ({File}:{Line} uses {Name})";
}

/// <summary>
/// The dependencies between the top folders of src/DmpApi (DmpApi.Storage.Seeding counts as Storage), read by binding
/// every name in the source with the compiler: a using, a fully-qualified <c>DmpApi.Storage.X</c>, an extension method
/// or a name resolved through an enclosing namespace all count the same.
/// </summary>
public sealed class NamespaceGraph
{
    private const string Root = "DmpApi";

    // What the Web SDK's ImplicitUsings adds to DmpApi.csproj (generated into obj/, which the test does not read).
    private const string ImplicitUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Net.Http.Json;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using Microsoft.AspNetCore.Builder;
        global using Microsoft.AspNetCore.Hosting;
        global using Microsoft.AspNetCore.Http;
        global using Microsoft.AspNetCore.Routing;
        global using Microsoft.Extensions.Configuration;
        global using Microsoft.Extensions.DependencyInjection;
        global using Microsoft.Extensions.Hosting;
        global using Microsoft.Extensions.Logging;
        """;

    private NamespaceGraph(IReadOnlyList<NamespaceUse> uses, IReadOnlyList<Diagnostic> unresolved)
    {
        Uses = uses;
        Unresolved = unresolved;
    }

    /// <summary>One entry per file and folder it uses (other than its own).</summary>
    public IReadOnlyList<NamespaceUse> Uses { get; }

    /// <summary>The folder pairs (from ≠ to) with at least one use.</summary>
    public IReadOnlySet<(string From, string To)> Edges => Uses.Select(u => (u.From, u.To)).ToHashSet();

    /// <summary>Names the compiler could not bind: the graph is blind there, so the tests require none.</summary>
    public IReadOnlyList<Diagnostic> Unresolved { get; }

    public static NamespaceGraph OfSourceFolder(string folder)
    {
        var files = Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsBuildOutput(Path.GetRelativePath(folder, f)))
            .Select(f => (Path.GetRelativePath(folder, f), File.ReadAllText(f)));
        return Of(files);
    }

    public static NamespaceGraph Of(IEnumerable<(string Path, string Text)> files)
    {
        var options = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Preview);
        var trees = files.Select(f => CSharpSyntaxTree.ParseText(f.Text, options, f.Path))
            .Append(CSharpSyntaxTree.ParseText(ImplicitUsings, options, "ImplicitUsings.g.cs"))
            .ToList();
        var compilation = CSharpCompilation.Create("DmpApi.Structure", trees, References(),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        var uses = new Dictionary<(string File, string To), NamespaceUse>();
        foreach (var tree in trees)
        {
            var model = compilation.GetSemanticModel(tree);
            var root = tree.GetRoot();
            var fileNamespace = root.DescendantNodes().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault()?.Name.ToString();
            foreach (var name in root.DescendantNodes().OfType<SimpleNameSyntax>())
            {
                // A using above a file-scoped namespace belongs to the file's namespace.
                var from = FolderOf(name.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault()?.Name.ToString() ?? fileNamespace);
                var target = model.GetSymbolInfo(name).Symbol ?? model.GetSymbolInfo(name).CandidateSymbols.FirstOrDefault();
                if (target is INamespaceSymbol && IsQualifierOrDeclaration(name))
                {
                    continue; // "DmpApi" in DmpApi.Access.X, or a namespace's own name: the rightmost part is the use
                }

                var to = FolderOf(TargetNamespace(target)?.ToDisplayString());
                if (from is null || to is null || from == to || uses.ContainsKey((tree.FilePath, to)))
                {
                    continue;
                }

                uses[(tree.FilePath, to)] = new NamespaceUse(from, to, tree.FilePath, name.GetLocation().GetLineSpan().StartLinePosition.Line + 1, name.ToString());
            }
        }

        // CS0246/CS0234/CS0103: a type, namespace or name the compiler cannot find; CS1061: a member it cannot find.
        var unresolved = compilation.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error && d.Id is "CS0246" or "CS0234" or "CS0103" or "CS1061")
            .ToList();
        return new NamespaceGraph(uses.Values.OrderBy(u => u.File, StringComparer.Ordinal).ToList(), unresolved);
    }

    /// <summary>The cycles among the folders (strongly connected components of more than one folder), each named by one closed path.</summary>
    public IReadOnlyList<IReadOnlyList<NamespaceUse>> Cycles(Func<NamespaceUse, bool>? tolerated = null)
    {
        // One use per folder pair names the edge; an edge whose every use is tolerated is no edge.
        var edges = Uses.Where(u => tolerated is null || !tolerated(u))
            .GroupBy(u => (u.From, u.To)).Select(g => g.First())
            .GroupBy(u => u.From).ToDictionary(g => g.Key, g => g.OrderBy(u => u.To, StringComparer.Ordinal).ToList());
        return StronglyConnected(edges)
            .Where(component => component.Count > 1)
            .Select(component => ClosedPath(component, edges))
            .ToList();
    }

    public IEnumerable<NamespaceUse> From(string folder) => Uses.Where(u => u.From == folder);

    private static bool IsBuildOutput(string relativePath)
    {
        // Generated EF migrations only name Storage's contexts; leaving them out halves the binding time.
        var parts = relativePath.Split(Path.DirectorySeparatorChar);
        return parts[0] is "bin" or "obj" || parts is ["Storage", "Migrations", ..];
    }

    private static bool IsQualifierOrDeclaration(SimpleNameSyntax name) =>
        name.Parent is QualifiedNameSyntax q && q.Left == name
        || name.Parent is MemberAccessExpressionSyntax m && m.Expression == name
        || name.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().Any(d => d.Name.Span.Contains(name.Span));

    private static INamespaceSymbol? TargetNamespace(ISymbol? symbol) =>
        symbol switch
        {
            null => null,
            INamespaceSymbol ns => ns,
            IAliasSymbol alias => alias.Target as INamespaceSymbol ?? alias.Target.ContainingNamespace,
            ITypeSymbol type => type.OriginalDefinition.ContainingNamespace,
            _ => symbol.ContainingType?.OriginalDefinition.ContainingNamespace ?? symbol.ContainingNamespace,
        };

    /// <summary>DmpApi.Storage.Seeding → Storage; DmpApi (Program, Commands) → DmpApi; anything outside DmpApi → null.</summary>
    private static string? FolderOf(string? ns)
    {
        if (string.IsNullOrEmpty(ns))
        {
            return null;
        }

        var parts = ns.Split('.');
        if (parts[0] != Root)
        {
            return null;
        }

        return parts.Length == 1 ? Root : parts[1];
    }

    private static IEnumerable<MetadataReference> References()
    {
        var trusted = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "";
        return trusted.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(path => !Path.GetFileNameWithoutExtension(path).Equals(Root, StringComparison.Ordinal)) // bind DmpApi's names to the source, not the built assembly
            .Select(path => MetadataReference.CreateFromFile(path));
    }

    // Tarjan's algorithm: each component is a set of folders that all reach one another.
    private static List<List<string>> StronglyConnected(Dictionary<string, List<NamespaceUse>> edges)
    {
        var nodes = edges.Keys.Concat(edges.Values.SelectMany(e => e.Select(u => u.To))).Distinct().Order(StringComparer.Ordinal).ToList();
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var components = new List<List<string>>();

        void Visit(string node)
        {
            index[node] = low[node] = index.Count;
            stack.Push(node);
            onStack.Add(node);
            foreach (var use in edges.GetValueOrDefault(node) ?? [])
            {
                if (!index.ContainsKey(use.To))
                {
                    Visit(use.To);
                    low[node] = Math.Min(low[node], low[use.To]);
                }
                else if (onStack.Contains(use.To))
                {
                    low[node] = Math.Min(low[node], index[use.To]);
                }
            }

            if (low[node] == index[node])
            {
                var component = new List<string>();
                string member;
                do
                {
                    member = stack.Pop();
                    onStack.Remove(member);
                    component.Add(member);
                } while (member != node);
                components.Add(component);
            }
        }

        foreach (var node in nodes.Where(n => !index.ContainsKey(n)))
        {
            Visit(node);
        }

        return components;
    }

    // A shortest way from the component's first folder back to itself, inside the component.
    private static List<NamespaceUse> ClosedPath(List<string> component, Dictionary<string, List<NamespaceUse>> edges)
    {
        var members = component.ToHashSet();
        var start = component.Min(StringComparer.Ordinal)!;
        var cameBy = new Dictionary<string, NamespaceUse>();
        var queue = new Queue<string>([start]);
        while (queue.Count > 0)
        {
            var node = queue.Dequeue();
            foreach (var use in (edges.GetValueOrDefault(node) ?? []).Where(u => members.Contains(u.To)))
            {
                if (use.To == start)
                {
                    var path = new List<NamespaceUse> { use };
                    for (var at = node; at != start; at = cameBy[at].From)
                    {
                        path.Insert(0, cameBy[at]);
                    }

                    return path;
                }

                if (cameBy.TryAdd(use.To, use))
                {
                    queue.Enqueue(use.To);
                }
            }
        }

        throw new InvalidOperationException($"No closed path through {string.Join(", ", component)}.");
    }
}
