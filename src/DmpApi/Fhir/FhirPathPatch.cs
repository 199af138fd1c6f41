using System.Collections;
using System.Net;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;
using Hl7.FhirPath;

namespace DmpApi.Fhir;

/// <summary>
/// FHIRPath Patch (FHIR R4 §3.1.0.6, fhirpatch.html): a `Parameters` resource whose `operation` parameters add, insert,
/// delete, replace or move elements designated by FHIRPath expressions. The Hl7.Fhir SDK builds such patches
/// (`PatchParameterExtensions`) but does not apply them; this applies one to a copy of a resource, through the SDK's model
/// (FHIRPath evaluation and class mappings). A malformed patch answers 400, one that does not fit the resource 422.
/// </summary>
public static class FhirPathPatch
{
    public static Resource Apply(Resource resource, Parameters patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var operations = patch.Parameter.Where(p => p.Name == "operation").ToList();
        if (operations.Count == 0 || operations.Count != patch.Parameter.Count)
        {
            throw FhirException.BadRequest("A FHIRPath Patch is a Parameters resource holding only 'operation' parameters, at least one.", OperationOutcome.IssueType.Structure);
        }

        var patched = (Resource)resource.DeepCopy();
        foreach (var (operation, index) in operations.Select((o, i) => (o, i)))
        {
            ApplyOne(patched, new Operation(operation, index));
        }

        // The result must still be a valid resource of its type (a code outside its value set, a wrong primitive…).
        try
        {
            return FhirWire.DeserializeJson(FhirWire.SerializeJson(patched));
        }
        catch (Exception e) when (e is Hl7.Fhir.Serialization.DeserializationFailedException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw FhirException.Unprocessable($"The patched resource is not a valid {resource.TypeName}: {e.Message}", OperationOutcome.IssueType.Structure);
        }
    }

    private static void ApplyOne(Resource resource, Operation op)
    {
        var type = op.Code("type");
        var path = op.String("path");
        IReadOnlyList<Base> targets;
        try
        {
            targets = resource.Select(path).OfType<Base>().ToList();
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or ArgumentException or NotSupportedException)
        {
            throw op.Malformed($"path '{path}' is not a FHIRPath expression this server evaluates: {e.Message}");
        }

        var parents = new Parents(resource);
        switch (type)
        {
            case "add":
            {
                var container = op.Single(targets, path);
                var name = op.String("name");
                var property = Property(container, name, op);
                var value = op.Value(property.ImplementingType);
                if (property.IsCollection)
                {
                    ((IList)property.NativeProperty!.GetValue(container)!).Add(value);
                }
                else if (property.NativeProperty!.GetValue(container) is not null)
                {
                    throw op.Unfit($"{path}.{name} already has a value: replace it instead of adding one");
                }
                else
                {
                    property.NativeProperty.SetValue(container, value);
                }

                break;
            }

            case "insert":
            {
                var (list, elementType) = parents.ListOf(op.Single(targets, path), op, path);
                var at = op.Integer("index");
                if (at < 0 || at > list.Count) throw op.Unfit($"index {at} is outside the list at '{path}' ({list.Count} elements)");
                list.Insert(at, op.Value(elementType));
                break;
            }

            case "delete":
                // FHIR R4 fhirpatch: deleting what is not there is not an error.
                if (targets.Count == 0) break;
                parents.Remove(op.Single(targets, path), op, path);
                break;

            case "replace":
                parents.Replace(op.Single(targets, path), op, path);
                break;

            case "move":
            {
                var (list, _) = parents.ListOf(op.Single(targets.Take(1).ToList(), path), op, path);
                var (from, to) = (op.Integer("source"), op.Integer("destination"));
                if (from < 0 || from >= list.Count || to < 0 || to >= list.Count) throw op.Unfit($"move {from}→{to} is outside the list at '{path}' ({list.Count} elements)");
                var moved = list[from];
                list.RemoveAt(from);
                list.Insert(to, moved);
                break;
            }

            default:
                throw op.Malformed($"type '{type}' is not one of add, insert, delete, replace, move");
        }
    }

    private static PropertyMapping Property(Base container, string name, Operation op) =>
        ModelInfo.ModelInspector.FindOrImportClassMapping(container.GetType())?.FindMappedElementByName(name)
        ?? throw op.Unfit($"{container.TypeName} has no element '{name}'");

    /// <summary>One `operation` parameter and its parts, with the errors that name it.</summary>
    private sealed class Operation(Parameters.ParameterComponent parameter, int index)
    {
        private Parameters.ParameterComponent? Part(string name) => parameter.Part.FirstOrDefault(p => p.Name == name);

        public string Code(string name) => (Part(name)?.Value as PrimitiveType)?.ToString() ?? throw Malformed($"the part '{name}' is missing");

        public string String(string name) => Code(name);

        public int Integer(string name) => Part(name)?.Value is Integer { Value: { } i } ? i : throw Malformed($"the part '{name}' must be an integer");

        /// <summary>The `value` part as an instance of the element's type: a primitive converted, a complex value built from its parts.</summary>
        public Base Value(Type target)
        {
            var part = Part("value") ?? throw Malformed("the part 'value' is missing");
            return Build(part, target);
        }

        private Base Build(Parameters.ParameterComponent part, Type target)
        {
            if (part.Value is { } value)
            {
                if (target.IsInstanceOfType(value)) return value;
                if (value is PrimitiveType primitive && typeof(PrimitiveType).IsAssignableFrom(target) && Activator.CreateInstance(target) is PrimitiveType converted)
                {
                    converted.JsonValue = primitive.JsonValue;
                    return converted;
                }

                throw Unfit($"a {value.TypeName} cannot stand where a {target.Name} is expected");
            }

            if (part.Part.Count == 0 || target.IsAbstract || Activator.CreateInstance(target) is not Base complex)
            {
                throw Malformed($"the value for a {target.Name} needs a value[x] or parts");
            }

            var mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(target)!;
            foreach (var child in part.Part)
            {
                var childName = child.Name ?? throw Malformed("a part has no name");
                var property = mapping.FindMappedElementByName(childName) ?? mapping.FindMappedElementByChoiceName(childName)
                    ?? throw Unfit($"{target.Name} has no element '{childName}'");
                var built = Build(child, property.Choice == ChoiceType.None ? property.ImplementingType : typeof(DataType));
                if (property.IsCollection) ((IList)property.NativeProperty!.GetValue(complex)!).Add(built);
                else property.NativeProperty!.SetValue(complex, built);
            }

            return complex;
        }

        public Base Single(IReadOnlyList<Base> targets, string path) => targets.Count == 1
            ? targets[0]
            : throw Unfit($"path '{path}' designates {targets.Count} elements where one is needed");

        public FhirException Malformed(string why) =>
            FhirException.BadRequest($"FHIRPath Patch operation {index}: {why}.", OperationOutcome.IssueType.Structure);

        public FhirException Unfit(string why) =>
            new(HttpStatusCode.UnprocessableEntity, OperationOutcome.IssueType.Processing, $"FHIRPath Patch operation {index} cannot be applied: {why}.");
    }

    /// <summary>Where each element of the resource sits: its parent, its element name and, in a repeating element, its list.</summary>
    private sealed class Parents
    {
        private readonly Dictionary<Base, (Base Parent, string Name, IList? List)> _of = new(ReferenceEqualityComparer.Instance);

        public Parents(Base root) => Walk(root);

        private void Walk(Base node)
        {
            foreach (var (name, value) in node.EnumerateElements())
            {
                switch (value)
                {
                    case Base child:
                        _of[child] = (node, name, null);
                        Walk(child);
                        break;
                    case IList list:
                        foreach (var item in list.OfType<Base>())
                        {
                            _of[item] = (node, name, list);
                            Walk(item);
                        }

                        break;
                }
            }
        }

        private (Base Parent, string Name, IList? List) Of(Base element, Operation op, string path) =>
            _of.TryGetValue(element, out var at) ? at : throw op.Unfit($"'{path}' designates no element of the resource that can change");

        public (IList List, Type ElementType) ListOf(Base element, Operation op, string path)
        {
            var (parent, name, list) = Of(element, op, path);
            return list is null ? throw op.Unfit($"'{path}' is not a repeating element") : (list, Property(parent, name, op).ImplementingType);
        }

        public void Remove(Base element, Operation op, string path)
        {
            var (parent, name, list) = Of(element, op, path);
            if (list is not null) list.Remove(element);
            else Property(parent, name, op).NativeProperty!.SetValue(parent, null);
        }

        public void Replace(Base element, Operation op, string path)
        {
            var (parent, name, list) = Of(element, op, path);
            var property = Property(parent, name, op);
            var value = op.Value(property.Choice == ChoiceType.None ? property.ImplementingType : typeof(DataType));
            if (list is not null) list[list.IndexOf(element)] = value;
            else property.NativeProperty!.SetValue(parent, value);
        }
    }
}
