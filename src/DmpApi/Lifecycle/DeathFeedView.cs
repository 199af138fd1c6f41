using System.Collections;
using DmpApi.Patients;
using Hl7.Fhir.Introspection;
using Hl7.Fhir.Model;

namespace DmpApi.Lifecycle;

/// <summary>
/// What a death feed's PATCH is applied to (issue 14): a system reads nothing of a record (DMP-RULES §2), so its patch
/// sees only the Patient's id and what the feed itself sets — active, deceased[x], the closure date and motif — never a
/// name, an address or the holder's closure reason. The patched view is laid back over the stored Patient, every
/// element the patch set replacing the stored one, and the write rules judge that whole Patient (PatientElements).
/// </summary>
public static class DeathFeedView
{
    /// <summary>The Patient elements a death feed sees; the rest of the view is its closure extensions.</summary>
    private static readonly HashSet<string> Seen = new(StringComparer.Ordinal) { "id", "active", "deceased", "extension" };

    /// <summary>The stored Patient as the feed may know it.</summary>
    public static Patient Of(Patient stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return new Patient
        {
            Id = stored.Id,
            // Stated even when the stored Patient leaves it implicit (absent means active), so that a FHIRPath Patch replaces it.
            Active = stored.Active ?? true,
            Deceased = (DataType?)stored.Deceased?.DeepCopy(),
            Extension = [.. stored.Extension.Where(Shown).Select(e => (Extension)e.DeepCopy())],
        };
    }

    /// <summary>The Patient the feed's patch proposes: the stored one with what the patch set on its view.</summary>
    public static Patient Patch(Patient stored, Func<Resource, Resource> patch)
    {
        ArgumentNullException.ThrowIfNull(patch);
        var view = Of(stored);
        if (patch(view) is not Patient patched)
        {
            throw Fhir.FhirException.Unprocessable("A patch cannot change the resource's type or id.", OperationOutcome.IssueType.Invariant);
        }

        var proposed = (Patient)stored.DeepCopy();
        proposed.Id = patched.Id;
        proposed.Active = patched.Active == view.Active ? stored.Active : patched.Active;
        proposed.Deceased = patched.Deceased;
        proposed.Extension.RemoveAll(Shown);
        proposed.Extension.AddRange(patched.Extension);
        var mapping = ModelInfo.ModelInspector.FindOrImportClassMapping(typeof(Patient))!;
        foreach (var (name, value) in patched.EnumerateElements().Where(e => !Seen.Contains(e.Key)))
        {
            // An element the feed may not set, set by its patch: it overwrites the stored one, and the write rules name it (403).
            var property = mapping.FindMappedElementByName(name)!;
            property.NativeProperty!.SetValue(proposed, value is IList list && property.IsCollection ? Copy(list, property) : value);
        }

        return proposed;
    }

    /// <summary>A closure extension but the holder's free-text reason, which is theirs to read.</summary>
    private static bool Shown(Extension extension) =>
        RecordClosure.IsClosure(extension) && extension.Url?.EndsWith(RecordClosure.ReasonName, StringComparison.Ordinal) != true;

    private static IList Copy(IList list, PropertyMapping property)
    {
        var copy = (IList)Activator.CreateInstance(property.NativeProperty!.PropertyType)!;
        foreach (var item in list)
        {
            copy.Add(item);
        }

        return copy;
    }
}
