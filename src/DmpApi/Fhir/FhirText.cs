using Hl7.Fhir.Model;

namespace DmpApi.Fhir;

/// <summary>
/// FHIR R4 §2.24.0.1: strings hold no characters below U+0020 except tab, carriage return and line feed. Nor may they
/// hold what XML 1.0 cannot carry (U+FFFE, U+FFFF, an unpaired surrogate): a resource stored with one could not be
/// answered in XML.
/// </summary>
public static class FhirText
{
    public static bool HasControlCharacter(string? text)
    {
        if (text is null)
        {
            return false;
        }

        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if ((c < ' ' && c is not ('\t' or '\r' or '\n')) || c is '\uFFFE' or '\uFFFF' || char.IsSurrogate(c))
            {
                return true;
            }
        }

        return false;
    }

    public static string Printable(string text) =>
        string.Concat(text.Select(c => c < ' ' || c is '\uFFFE' or '\uFFFF' || char.IsSurrogate(c) ? $"\\u{(int)c:x4}" : c.ToString()));

    /// <summary>The FHIRPath location of the first primitive value that breaks the rule, or null when there is none.</summary>
    public static string? FindControlCharacter(Base element, string path)
    {
        if (element is PrimitiveType { JsonValue: string value } && HasControlCharacter(value))
        {
            return path;
        }

        foreach (var (name, member) in element.EnumerateElements())
        {
            var children = member switch
            {
                Base single => [single],
                IEnumerable<Base> many => many,
                _ => [],
            };
            foreach (var child in children)
            {
                if (FindControlCharacter(child, $"{path}.{name}") is { } found)
                {
                    return found;
                }
            }
        }

        return null;
    }
}
