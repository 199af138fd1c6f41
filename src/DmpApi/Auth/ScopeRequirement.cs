using System.Net;
using DmpApi.Fhir;
using Hl7.Fhir.Model;

namespace DmpApi.Auth;

/// <summary>Endpoint metadata: the SMART scope an endpoint needs (the OpenAPI document shows an example of it).</summary>
public sealed record SmartScope(string ResourceType, FhirInteraction Interaction);

public static class ScopeRequirement
{
    /// <summary>Declares the interaction (<see cref="FhirOperation"/>) and refuses requesters whose SMART scopes do not grant it (403).</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string resourceType, FhirInteraction interaction)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithFhirOperation(resourceType, interaction).RequireScopeOf(resourceType, interaction);

    /// <summary>
    /// Refuses requesters whose SMART scopes do not grant <paramref name="interaction"/> on <paramref name="resourceType"/>, for an
    /// endpoint whose own <see cref="FhirOperation"/> is another (Binary content is read under DocumentReference scopes).
    /// </summary>
    public static TBuilder RequireScopeOf<TBuilder>(this TBuilder builder, string resourceType, FhirInteraction interaction)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new SmartScope(resourceType, interaction));
        builder.AddEndpointFilter(async (context, next) =>
        {
            var requester = context.HttpContext.GetRequester();
            if (!SmartScopes.Permits(requester.Scopes, resourceType, interaction))
            {
                throw new FhirException(HttpStatusCode.Forbidden, OperationOutcome.IssueType.Forbidden,
                    $"The token's scopes do not grant {interaction.ToString().ToLowerInvariant()} on {resourceType} (e.g. user/{resourceType}.cruds).");
            }

            return await next(context);
        });
        return builder;
    }
}
