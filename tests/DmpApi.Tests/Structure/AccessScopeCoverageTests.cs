using System.Collections.Concurrent;
using System.Data.Common;
using System.Net;
using DmpApi.Access;
using DmpApi.Storage;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Structure;

/// <summary>
/// DESIGN §2: no path reaches the store without an access scope. Every mapped /fhir endpoint is called for real while a
/// witness watches every database command: none may run in a /fhir request that has no scope, and every read endpoint
/// must have asked its scope for an access decision before answering, and every write endpoint for a write decision
/// (<see cref="IWriteGuard"/>, DMP-RULES §3) before its first command that writes. A new endpoint this test cannot call
/// fails it until it is added here.
/// </summary>
public sealed class AccessScopeCoverageTests
{
    private readonly ScopeWitness _witness = new();
    private TestDatabase? _database;
    private DmpApiApplication? _app;
    private FhirHttp? _fhir;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _database = await new SqliteStore().CreateDatabaseAsync();
        _app = new DmpApiApplication(_database, services: services =>
        {
            services.AddHttpContextAccessor();
            services.AddSingleton(_witness);
            services.ConfigureDbContext<SqliteDmpDbContext>((sp, o) => o.AddInterceptors(new WitnessInterceptor(_witness, sp.GetRequiredService<IHttpContextAccessor>())));
        });
        _fhir = new FhirHttp(_app.CreateClient(), Tokens.Professional());
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _fhir?.Http.Dispose();
        if (_app is not null) await _app.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }

    [Test]
    public async Task Every_fhir_endpoint_reaches_the_database_only_through_its_access_scope()
    {
        var record = await RecordAsync();
        var endpoints = _app!.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/fhir/", StringComparison.Ordinal) == true
                && !EndpointMetadataTests.AnonymousMetadata.Contains(e.RoutePattern.RawText))
            .Select(e => (Method: e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Single(), Route: e.RoutePattern.RawText!))
            // Deletions last, so that every other call finds its resource.
            .OrderBy(e => e.Method == "DELETE").ThenBy(e => e.Route, StringComparer.Ordinal)
            .ToList();

        var answers = new List<string>();
        foreach (var (method, route) in endpoints)
        {
            _witness.Reset();
            var response = await CallAsync(method, route, record);
            var isRead = method == "GET" || route.EndsWith("/_search", StringComparison.Ordinal);
            answers.Add($"{method} {route} → {(int)response.Status}");
            // DMP-RULES §3: a record is closed, never deleted; that answer comes from the write door, before any command.
            var refusedByTheDoor = method == "DELETE" && route == "/fhir/Patient/{id}";
            Assert.Multiple(() =>
            {
                Assert.That((int)response.Status, refusedByTheDoor ? Is.EqualTo(405) : Is.LessThan(300), $"{method} {route} should succeed here: {response}");
                Assert.That(_witness.Commands, refusedByTheDoor ? Is.EqualTo(0) : Is.GreaterThan(0), $"{method} {route} should reach the database");
                Assert.That(_witness.UndecidedWrites, Is.Empty, $"{method} {route} wrote before asking the write door");
                if (!isRead && !refusedByTheDoor && _witness.Writes > 0)
                {
                    Assert.That(_witness.LastScope?.WriteDecided, Is.True, $"{method} {route} wrote without a write decision");
                }

                Assert.That(_witness.Unscoped, Is.Empty, $"{method} {route} ran commands with no access scope");
                Assert.That(_witness.AroundTheDoor, Is.Empty, $"{method} {route} read rows without the access predicate");
                if (isRead)
                {
                    Assert.That(_witness.LastScope?.Consulted, Is.True, $"{method} {route} answered without asking its scope for a decision");
                }
            });
        }

        TestContext.Out.WriteLine(string.Join(Environment.NewLine, answers));
        Assert.That(endpoints, Has.Count.GreaterThan(30), "every type's interactions, Binary, AuditEvent, Communication");
    }

    [Test]
    public async Task The_witness_sees_a_database_command_that_runs_in_a_fhir_request_without_a_scope()
    {
        _witness.Reset();
        var accessor = _app!.Services.GetRequiredService<IHttpContextAccessor>();
        accessor.HttpContext = new DefaultHttpContext { Request = { Method = "GET", Path = "/fhir/Patient" } };
        try
        {
            await using var services = _app.Services.CreateAsyncScope();
            await services.ServiceProvider.GetRequiredService<DmpDbContext>().Resources.CountAsync();
        }
        finally
        {
            accessor.HttpContext = null;
        }

        Assert.That(_witness.Unscoped, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task The_witness_sees_a_record_write_that_no_write_decision_preceded()
    {
        _witness.Reset();
        var accessor = _app!.Services.GetRequiredService<IHttpContextAccessor>();
        var http = new DefaultHttpContext { Request = { Method = "DELETE", Path = "/fhir/Consent/x" } };
        await using var services = _app.Services.CreateAsyncScope();
        var db = services.ServiceProvider.GetRequiredService<DmpDbContext>();
        http.Features.Set(new AccessScope(new DmpApi.Auth.Requester(DmpApi.Auth.RequesterKind.Professional, "t", Tokens.DoctorIdNatPs, "10", null, "Dr", "TREAT", new HashSet<string>()),
            db, services.ServiceProvider.GetRequiredService<DocumentVisibility>(), DateTimeOffset.UtcNow));
        accessor.HttpContext = http;
        try
        {
            await db.Resources.Where(r => r.LogicalId == "no-such-consent").ExecuteDeleteAsync();
        }
        finally
        {
            accessor.HttpContext = null;
        }

        Assert.That(_witness.UndecidedWrites, Has.Count.EqualTo(1));
    }

    private sealed record Record(Patient Patient, string Ins, DocumentReference Document, AllergyIntolerance Allergy, Consent Consent, RelatedPerson Representative, List Folder, string BinaryId, string AuditId, string CommunicationId,
        IReadOnlyDictionary<string, Resource> Entries);

    private async Task<Record> RecordAsync()
    {
        var builder = new PatientBuilder();
        var patient = await _fhir!.CreatedAsync(builder.Build());
        var asPatient = _fhir.As(Tokens.Patient(builder.Ins!));
        var identified = DocumentBuilder.For(patient).Build();
        identified.MasterIdentifier = new Identifier("urn:ietf:rfc:3986", "urn:uuid:" + Guid.NewGuid()); // what a conditional PATCH names
        var document = await _fhir.CreatedAsync(identified);
        var allergy = await _fhir.CreatedAsync(AllergyBuilder.For(patient).Build());
        var consent = await asPatient.CreatedAsync(ConsentBuilder.For(patient).Permitting("810009999999").Build());
        var representative = await asPatient.CreatedAsync(RelatedPersonBuilder.For(patient).Build());
        var folder = await _fhir.CreatedAsync(FolderBuilder.For(patient, document.Id!));
        await _fhir.As(Tokens.Professional("810009999999")).GetAsync($"fhir/Patient/{patient.Id}"); // a first access: a notification
        var audit = (await asPatient.SearchBundleAsync("AuditEvent", $"patient={patient.Id}&_count=1")).Entry.Single().Resource!.Id!;
        var communication = (await asPatient.SearchBundleAsync("Communication", $"patient={patient.Id}&_count=1")).Entry.Single().Resource!.Id!;
        var binary = document.Content.Single().Attachment.Url!.Split('/').Last();
        var entries = new Dictionary<string, Resource>();
        foreach (var type in HealthProfileEntries.Types)
        {
            entries[type] = await _fhir.CreatedAsync(HealthProfileEntries.Of(type, patient));
        }

        return new Record(patient, builder.Ins!, document, allergy, consent, representative, folder, binary, audit, communication, entries);
    }

    /// <summary>One real call of the endpoint, with the token, route values, query and body it needs.</summary>
    private Task<FhirResponse> CallAsync(string method, string route, Record r)
    {
        var type = route.Split('/')[2];
        if (type.Length == 0 && method == "POST")
        {
            // POST [base]: the ITI-65 Provide Document Bundle.
            var bundle = DocumentBundleBuilder.For(r.Patient).With(DocumentBuilder.For(r.Patient)).Build();
            return _fhir!.SendAsync(HttpMethod.Post, "fhir", FhirHttp.JsonContent(bundle), null);
        }

        var (id, current) = type switch
        {
            "Patient" => (r.Patient.Id!, (Resource)r.Patient),
            "DocumentReference" => (r.Document.Id!, r.Document),
            "AllergyIntolerance" => (r.Allergy.Id!, r.Allergy),
            "Consent" => (r.Consent.Id!, r.Consent),
            "RelatedPerson" => (r.Representative.Id!, r.Representative),
            "List" => (r.Folder.Id!, r.Folder),
            "Binary" => (r.BinaryId, null!),
            "AuditEvent" => (r.AuditId, null!),
            "Communication" => (r.CommunicationId, null!),
            _ when r.Entries.TryGetValue(type, out var entry) => (entry.Id!, entry),
            _ => throw new AssertionException($"{method} {route}: a new resource type; teach this test how to call it."),
        };
        var client = type is "AuditEvent" or "Communication" or "Consent" or "RelatedPerson" ? _fhir!.As(Tokens.Patient(r.Ins)) : _fhir!;
        var query = type == "Patient" ? $"_id={id}" : $"patient=Patient/{r.Patient.Id}";
        var path = route.Replace("{id}", id, StringComparison.Ordinal).Replace("{vid}", "1", StringComparison.Ordinal).TrimStart('/');
        return (method, route.Split('/')[3..]) switch
        {
            ("GET", [""] or []) => client.GetAsync($"{path}?{query}"),
            ("POST", ["_search"]) => client.SendAsync(HttpMethod.Post, path, new FormUrlEncodedContent([new(query.Split('=')[0], query.Split('=')[1])]), null),
            ("POST", [] or [""]) => client.CreateAsync(NewOf(type, r)),
            ("GET", _) => client.GetAsync(path),
            ("PUT", _) => client.UpdateAsync(current),
            ("PATCH", [] or [""]) => client.PatchAsync($"fhir/{type}?identifier={r.Document.MasterIdentifier!.System}|{r.Document.MasterIdentifier.Value}", JsonPatches.Mask),
            ("PATCH", _) when type == "Patient" => client.PatchAsync(path, JsonPatches.NewPhone),
            ("PATCH", _) => client.PatchAsync(path, JsonPatches.Mask),
            ("DELETE", _) => client.DeleteAsync(path),
            _ => throw new AssertionException($"{method} {route}: a new kind of endpoint; teach this test how to call it."),
        };
    }

    private static Resource NewOf(string type, Record r) => type switch
    {
        "Patient" => new PatientBuilder().Build(),
        "DocumentReference" => DocumentBuilder.For(r.Patient).Build(),
        "AllergyIntolerance" => AllergyBuilder.For(r.Patient).Build(),
        "Consent" => ConsentBuilder.For(r.Patient).Permitting("810008888888").Build(),
        "RelatedPerson" => RelatedPersonBuilder.For(r.Patient).As("FTH").Build(),
        "List" => FolderBuilder.For(r.Patient, r.Document.Id!),
        _ when r.Entries.ContainsKey(type) => HealthProfileEntries.Of(type, r.Patient),
        _ => throw new AssertionException($"POST /fhir/{type}: teach this test what to create."),
    };

    /// <summary>What the database saw during one call: how many commands, those run with no scope, and the request's scope.</summary>
    private sealed class ScopeWitness
    {
        private readonly ConcurrentQueue<string> _unscoped = new();
        private readonly ConcurrentQueue<string> _undecidedWrites = new();
        private readonly ConcurrentQueue<string> _aroundTheDoor = new();
        private int _commands;
        private int _writes;

        public int Commands => _commands;
        public int Writes => _writes;
        public IReadOnlyCollection<string> Unscoped => _unscoped;
        /// <summary>Commands that write the record (not the traces or notifications a read leaves) before any write decision of their request.</summary>
        public IReadOnlyCollection<string> UndecidedWrites => _undecidedWrites;
        /// <summary>Reads by id (read, vread, history, Binary) of resource rows or contents that carry neither the door's tag nor Access's own.</summary>
        public IReadOnlyCollection<string> AroundTheDoor => _aroundTheDoor;
        /// <summary>The scope of the request that ran the last command, to ask afterwards whether it was consulted.</summary>
        public AccessScope? LastScope { get; private set; }

        public void Reset()
        {
            _unscoped.Clear();
            _undecidedWrites.Clear();
            _aroundTheDoor.Clear();
            _commands = 0;
            _writes = 0;
            LastScope = null;
        }

        public void Saw(HttpContext? http, DbCommand command)
        {
            if (http is null || !http.Request.Path.StartsWithSegments("/fhir"))
            {
                return; // the audit writer and the notification sweeper work outside requests
            }

            Interlocked.Increment(ref _commands);
            var scope = http.Features.Get<AccessScope>();
            var what = $"{http.Request.Method} {http.Request.Path}: {command.CommandText.Split('\n')[0]}";
            if (scope is null) _unscoped.Enqueue(what);
            else LastScope = scope;
            if (ReadsById(http) && ReadsRows(command.CommandText)
                && !command.CommandText.Contains(AccessPredicate.Tag, StringComparison.Ordinal)
                && !command.CommandText.Contains(AccessPredicate.DecisionTag, StringComparison.Ordinal))
            {
                _aroundTheDoor.Enqueue(what);
            }

            if (WritesTheRecord(command.CommandText))
            {
                Interlocked.Increment(ref _writes);
                if (scope is not { WriteDecided: true }) _undecidedWrites.Enqueue(what);
            }
        }

        /// <summary>GET /fhir/{type}/{id}[/_history[/{vid}]]: the reads by id the store serves through the access predicate.</summary>
        private static bool ReadsById(HttpContext http) =>
            http.Request.Method == "GET" && http.Request.Path.Value!.Split('/', StringSplitOptions.RemoveEmptyEntries) is ["fhir", not ("AuditEvent" or "Communication"), _, ..];

        private static bool ReadsRows(string sql) =>
            System.Text.RegularExpressions.Regex.IsMatch(sql, @"^\s*SELECT\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.Multiline)
            && (sql.Contains("\"Resources\"", StringComparison.Ordinal) || sql.Contains("\"Binaries\"", StringComparison.Ordinal));

        private static bool WritesTheRecord(string sql) =>
            System.Text.RegularExpressions.Regex.IsMatch(sql, @"^\s*(INSERT|UPDATE|DELETE)\b", System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.Multiline)
            && !sql.Contains("\"Notifications\"", StringComparison.Ordinal) && !sql.Contains("\"AuditRecords\"", StringComparison.Ordinal);
    }

    private sealed class WitnessInterceptor(ScopeWitness witness, IHttpContextAccessor accessor) : DbCommandInterceptor
    {
        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            witness.Saw(accessor.HttpContext, command);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            witness.Saw(accessor.HttpContext, command);
            return ValueTask.FromResult(result);
        }

        public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
        {
            witness.Saw(accessor.HttpContext, command);
            return ValueTask.FromResult(result);
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            witness.Saw(accessor.HttpContext, command);
            return ValueTask.FromResult(result);
        }
    }
}
