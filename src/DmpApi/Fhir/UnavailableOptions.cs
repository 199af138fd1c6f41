namespace DmpApi.Fhir;

/// <summary>
/// Failures that mean "retry later" (503 with Retry-After, DESIGN §4), registered by the floor that recognises them
/// (Storage: a database that did not answer in time), so that the error mapping needs to know no database.
/// </summary>
public sealed class UnavailableOptions
{
    public List<Func<Exception, bool>> Recognisers { get; } = [];

    public bool Matches(Exception exception) => Recognisers.Exists(recognises => recognises(exception));
}
