using Hl7.Fhir.Model;

namespace DmpApi.Storage;

/// <summary>
/// Turns a resource version into its search index rows, saved in the version's transaction. Search implements it from
/// the search parameters; the store only keeps the rows.
/// </summary>
public interface IResourceIndexer
{
    List<SearchIndexRow> IndexRows(Resource resource, string? patientId);
}
