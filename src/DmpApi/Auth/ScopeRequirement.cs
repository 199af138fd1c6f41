using System.Net;
using DmpApi.Fhir;
using Hl7.Fhir.Model;

namespace DmpApi.Auth;

/// <summary>Endpoint metadata: the FHIR resource type and interaction an endpoint performs (read by the scope filter, the audit trail, Swagger).</summary>
public sealed record FhirOperation(string ResourceType, FhirInteraction Interaction);

public static class ScopeRequirement
{
    /// <summary>Declares the interaction and refuses requesters whose SMART scopes do not grant it (403).</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string resourceType, FhirInteraction interaction)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new FhirOperation(resourceType, interaction));
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
