using Hl7.Fhir.Model;

namespace DmpApi.Fhir;

/// <summary>FHIR literal references (FHIR R4 §2.3.0): Type/id, absolute or versioned.</summary>
public static class FhirReferences
{
    /// <summary>Type and id of a literal reference (relative, absolute or versioned); null for contained or identifier-only ones.</summary>
    public static (string Type, string Id)? Parse(string reference)
    {
        if (reference.StartsWith('#'))
        {
            return null;
        }

        var parts = reference.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var history = Array.IndexOf(parts, "_history");
        if (history >= 0)
        {
            parts = parts[..history];
        }

        return parts.Length >= 2 && ModelInfo.IsKnownResource(parts[^2]) ? (parts[^2], parts[^1]) : null;
    }
}
