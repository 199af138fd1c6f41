using DmpApi.Auth;
using System.Net;
using DmpApi.Audit;
using DmpApi.Documents;
using DmpApi.Fhir;
using DmpApi.Notifications;
using DmpApi.Search;
using DmpApi.Validation;
using Hl7.Fhir.Model;

namespace DmpApi.Endpoints;

/// <summary>/fhir/metadata (FHIR R4 §3.1.0.10): exactly what this server implements, no token needed.</summary>
public static class CapabilityStatementEndpoint
{
    public static RouteHandlerBuilder MapCapabilityStatement(this RouteGroupBuilder fhir) =>
        fhir.MapGet("/metadata", async (HttpContext http, SearchParameterRegistry registry, SmartEndpointsSource smart) =>
                new FhirResult(HttpStatusCode.OK, Build(http.Request.BaseUrl(), registry, await smart.GetAsync(http.RequestAborted))))
            .AllowAnonymous()
            .WithFhirOperation("CapabilityStatement", FhirInteraction.Capabilities)
            .WithTags("Metadata")
            .WithName("Capabilities")
            .WithSummary("The server's CapabilityStatement");

    /// <summary>PDSm's Gestionnaire de partage de documents (input/fsh/instances/PDSm-GestionnaireDePartageDeDocuments.fsh of the ANS IG).</summary>
    public const string PdsmDocumentSharingManager = "http://esante.gouv.fr/ci-sis/fhir/CapabilityStatements/PDSm.GestionnaireDePartageDeDocuments";

    public const string SmartOAuthUris = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris";

    public static CapabilityStatement Build(string baseUrl, SearchParameterRegistry registry, SmartEndpoints? smart = null)
    {
        var statement = new CapabilityStatement
        {
            Url = baseUrl + "/metadata",
            Name = "DmpApi",
            Title = "DmpApi: Dossier Médical Partagé FHIR R4 server",
            Status = PublicationStatus.Active,
            Date = "2026-11-23",
            Kind = CapabilityStatementKind.Instance,
            FhirVersion = FHIRVersion.N4_0_1,
            Format = ["application/fhir+json", "application/fhir+xml"],
            PatchFormat = [.. FhirPatchBody.PatchFormats],
            Instantiates = [PdsmDocumentSharingManager],
            Software = new CapabilityStatement.SoftwareComponent { Name = "DmpApi", Version = typeof(CapabilityStatementEndpoint).Assembly.GetName().Version?.ToString() },
            Implementation = new CapabilityStatement.ImplementationComponent { Description = "DmpApi", Url = baseUrl },
        };

        var security = new CapabilityStatement.SecurityComponent
        {
            Service = [new CodeableConcept("http://terminology.hl7.org/CodeSystem/restful-security-service", "SMART-on-FHIR")],
            Description = "OAuth2 bearer tokens (JWT) with SMART v2 scopes; professionals through Pro Santé Connect, patients through their own "
                + "identity provider; see /.well-known/smart-configuration.",
        };
        if (smart is not null)
        {
            // SMART App Launch: where to authorize and get tokens, from the provider's discovery document or the configuration.
            var uris = new Extension { Url = SmartOAuthUris };
            if (smart.AuthorizationEndpoint is not null)
            {
                uris.Extension.Add(new Extension("authorize", new FhirUri(smart.AuthorizationEndpoint)));
            }

            uris.Extension.Add(new Extension("token", new FhirUri(smart.TokenEndpoint)));
            security.Extension.Add(uris);
        }

        var rest = new CapabilityStatement.RestComponent
        {
            Mode = CapabilityStatement.RestfulCapabilityMode.Server,
            Security = security,
            Interaction =
            [
                new CapabilityStatement.SystemInteractionComponent
                {
                    Code = CapabilityStatement.SystemRestfulInteraction.Transaction,
                    Documentation = "IHE MHD ITI-65 Provide Document Bundle only: DocumentReferences, their Binary content and the SubmissionSet List.",
                },
            ],
        };
        foreach (var type in FhirResources.Types)
        {
            var resource = new CapabilityStatement.ResourceComponent
            {
                Type = type,
                Versioning = CapabilityStatement.ResourceVersionPolicy.VersionedUpdate,
                ReadHistory = true,
                UpdateCreate = false,
                ConditionalCreate = true,
                ConditionalUpdate = false,
                ConditionalDelete = CapabilityStatement.ConditionalDeleteStatus.NotSupported,
                Interaction =
                [
                    .. new[]
                    {
                        CapabilityStatement.TypeRestfulInteraction.Read, CapabilityStatement.TypeRestfulInteraction.Vread,
                        CapabilityStatement.TypeRestfulInteraction.Update, CapabilityStatement.TypeRestfulInteraction.Delete,
                        CapabilityStatement.TypeRestfulInteraction.HistoryInstance, CapabilityStatement.TypeRestfulInteraction.Create,
                        CapabilityStatement.TypeRestfulInteraction.SearchType,
                    }.Concat(type is "DocumentReference" or "Patient" ? [CapabilityStatement.TypeRestfulInteraction.Patch] : [])
                    .Select(i => new CapabilityStatement.ResourceInteractionComponent { Code = i }),
                ],
                SearchInclude = registry.For(type).Where(p => p.Kind == SearchParamKind.Reference).Select(p => $"{type}:{p.Name}").Order().ToList(),
                // The profiles a write of this type is validated against when it declares them (docs/VALIDATION.md).
                SupportedProfile = ProfileValidator.Instance.Profiles
                    .Where(p => p.Type == type && p.Kind == StructureDefinition.StructureDefinitionKind.Resource).Select(p => p.Url!).Order().ToList(),
            };
            resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = "_id", Type = SearchParamType.Token });
            resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent { Name = "_lastUpdated", Type = SearchParamType.Date });
            foreach (var p in registry.For(type).OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                resource.SearchParam.Add(new CapabilityStatement.SearchParamComponent
                {
                    Name = p.Name,
                    Definition = p.Definition,
                    Type = p.Kind switch
                    {
                        SearchParamKind.Token => SearchParamType.Token,
                        SearchParamKind.String => SearchParamType.String,
                        SearchParamKind.Date => SearchParamType.Date,
                        SearchParamKind.Reference => SearchParamType.Reference,
                        _ => SearchParamType.Uri,
                    },
                    // Many SDK definitions come with an empty description, and FHIR forbids empty strings.
                    Documentation = string.IsNullOrWhiteSpace(p.Description) ? null : p.Description,
                });
            }

            if (type == "Patient")
            {
                // Issue 14: the patient's export.
                resource.Operation.Add(new CapabilityStatement.OperationComponent
                {
                    Name = "everything",
                    Definition = "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                    Documentation = "The record's resources the requester may see, paged with signed links; _binary=inline puts document contents inline.",
                });
            }

            rest.Resource.Add(resource);
        }

        rest.Resource.Add(new CapabilityStatement.ResourceComponent
        {
            Type = "Binary",
            Documentation = "Document content; read only, with the access rules of its DocumentReference.",
            Interaction = [new CapabilityStatement.ResourceInteractionComponent { Code = CapabilityStatement.TypeRestfulInteraction.Read }],
        });
        rest.Resource.Add(AuditEventEndpoints.Capability());
        rest.Resource.Add(CommunicationEndpoints.Capability());
        statement.Rest.Add(rest);
        return statement;
    }
}
