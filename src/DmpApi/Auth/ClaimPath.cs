using System.Text.Json;

namespace DmpApi.Auth;

/// <summary>
/// The claims of one requester as JSON documents (the access token's payload, then the userinfo answer), read through
/// dotted paths: <c>preferred_username</c>, <c>SubjectRefPro.exercices[0].codeProfession</c>, <c>…exercices[*]…</c>.
/// </summary>
public sealed class ClaimPath(params JsonElement[] sources)
{
    /// <summary>The values at <paramref name="path"/> in the first source that has any; strings as they are, numbers and booleans as their JSON text.</summary>
    public IReadOnlyList<string> Values(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            return [];
        }

        var segments = path.Split('.');
        foreach (var source in sources)
        {
            var found = new List<string>();
            Collect(source, segments, 0, found);
            if (found.Count > 0)
            {
                return found;
            }
        }

        return [];
    }

    public string? First(string? path) => Values(path).FirstOrDefault();

    private static void Collect(JsonElement element, string[] segments, int index, List<string> found)
    {
        if (index == segments.Length)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String when element.GetString() is { Length: > 0 } text:
                    found.Add(text);
                    break;
                case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                    found.Add(element.GetRawText());
                    break;
                case JsonValueKind.Array:
                    // A claim that is an array of values (e.g. SubjectRole) yields each of them.
                    foreach (var item in element.EnumerateArray())
                    {
                        Collect(item, segments, index, found);
                    }

                    break;
            }

            return;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var segment = segments[index];
        var bracket = segment.IndexOf('[');
        var name = bracket < 0 ? segment : segment[..bracket];
        if (!element.TryGetProperty(name, out var child))
        {
            return;
        }

        if (bracket < 0)
        {
            Collect(child, segments, index + 1, found);
            return;
        }

        if (child.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var selector = segment[(bracket + 1)..].TrimEnd(']');
        if (selector == "*")
        {
            foreach (var item in child.EnumerateArray())
            {
                Collect(item, segments, index + 1, found);
            }
        }
        else if (int.TryParse(selector, out var position) && position >= 0 && position < child.GetArrayLength())
        {
            Collect(child[position], segments, index + 1, found);
        }
    }
}
