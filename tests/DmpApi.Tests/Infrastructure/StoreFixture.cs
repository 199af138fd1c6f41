using Hl7.Fhir.Model;

namespace DmpApi.Tests.Infrastructure;

/// <summary>
/// Base of every integration fixture: the same tests run once per database of <see cref="TestStores.All"/>, each
/// fixture on a fresh database and one application started for the whole fixture. Tests create their own data.
/// </summary>
[TestFixtureSource(typeof(TestStores), nameof(TestStores.All))]
public abstract class StoreFixture(TestStore store)
{
    private TestDatabase? _database;
    private DmpApiApplication? _app;
    private FhirHttp? _fhir;

    protected TestStore Store => store;

    /// <summary>The fixture's database, e.g. for a second instance of the application on it.</summary>
    protected TestDatabase Database => _database ?? throw new InvalidOperationException("The database is created in OneTimeSetUp.");

    protected DmpApiApplication App => _app ?? throw new InvalidOperationException("The application starts in OneTimeSetUp.");

    /// <summary>The FHIR client acting as the default professional (a médecin with user/*.cruds).</summary>
    protected FhirHttp Fhir => _fhir ?? throw new InvalidOperationException("The application starts in OneTimeSetUp.");

    /// <summary>Extra configuration for this fixture's application (e.g. a small body limit).</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>();

    /// <summary>The application's clock; null for the system clock.</summary>
    protected virtual TimeProvider? Clock => null;

    [OneTimeSetUp]
    public async Task StartApplicationAsync()
    {
        _database = await store.CreateDatabaseAsync();
        _app = new DmpApiApplication(_database, Settings, Clock);
        // Creating the client starts the host, which migrates the database: a broken start fails here, once.
        _fhir = new FhirHttp(_app.CreateClient(), Tokens.Professional());
    }

    [OneTimeTearDown]
    public async Task StopApplicationAsync()
    {
        _fhir?.Http.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    /// <summary>Arrange: a new record with a unique INS.</summary>
    protected Task<Patient> CreatePatientAsync(PatientBuilder? builder = null) =>
        Fhir.CreatedAsync((builder ?? new PatientBuilder()).Build());

    protected Task<DocumentReference> CreateDocumentAsync(DocumentBuilder builder) => Fhir.CreatedAsync(builder.Build());

    /// <summary>Arrange: a record opened by the default doctor, in which the patient authorised the given professionals.</summary>
    protected async Task<(Patient Patient, string Ins, FhirHttp AsPatient)> RecordPermittingAsync(params string[] idNatPs)
    {
        var builder = new PatientBuilder();
        var patient = await CreatePatientAsync(builder);
        var asPatient = Fhir.As(Tokens.Patient(builder.Ins!));
        foreach (var professional in idNatPs)
        {
            await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting(professional).Build());
        }

        return (patient, builder.Ins!, asPatient);
    }
}
