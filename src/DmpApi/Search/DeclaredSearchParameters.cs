namespace DmpApi.Search;

/// <summary>
/// Endpoint metadata for a search that does not run on the <see cref="SearchParameterRegistry"/> (e.g. AuditEvent):
/// what the OpenAPI document shows for it instead of the registry's parameters. _count and _page are added as for every search.
/// </summary>
public sealed record DeclaredSearchParameters(string Description, IReadOnlyList<DeclaredSearchParameter> Parameters);

public sealed record DeclaredSearchParameter(string Name, string Description, bool Required = false);
