using DmpApi.Fhir;

namespace DmpApi.Auth;

/// <summary>SMART App Launch v2 scope checks (e.g. user/*.cruds, patient/DocumentReference.rs); v1 .read/.write are honoured too.</summary>
public static class SmartScopes
{
    public static bool Permits(IReadOnlySet<string> scopes, string resourceType, FhirInteraction interaction)
    {
        var letter = interaction switch
        {
            FhirInteraction.Create => 'c',
            FhirInteraction.Read or FhirInteraction.VRead or FhirInteraction.History => 'r',
            FhirInteraction.Update or FhirInteraction.Patch => 'u',
            FhirInteraction.Delete => 'd',
            FhirInteraction.Search => 's',
            _ => '\0', // a transaction or operation is scoped by what it does (RequireScopeOf), never by its own letter
        };

        foreach (var scope in scopes)
        {
            var slash = scope.IndexOf('/');
            var dot = scope.LastIndexOf('.');
            if (slash <= 0 || dot <= slash)
            {
                continue;
            }

            var context = scope[..slash];
            if (context is not ("user" or "patient" or "system"))
            {
                continue;
            }

            var type = scope[(slash + 1)..dot];
            if (type != "*" && type != resourceType)
            {
                continue;
            }

            var permissions = scope[(dot + 1)..];
            var allowed = permissions switch
            {
                "*" => true,
                "read" => letter is 'r' or 's',
                "write" => letter is 'c' or 'u' or 'd',
                _ => permissions.Contains(letter),
            };
            if (allowed)
            {
                return true;
            }
        }

        return false;
    }
}
