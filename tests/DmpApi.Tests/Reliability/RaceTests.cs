using System.Net;
using DmpApi.Patients;
using DmpApi.Storage;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Reliability;

/// <summary>
/// Concurrent writers of one resource (DESIGN §5: the database is the arbiter): of updates with the same If-Match one
/// wins per version and the others get 412; concurrent conditional creates make one Patient; of concurrent
/// replacements of one document one wins and the others get 409; of concurrent legal representatives of one record two
/// are recorded and the others get 422 (issue 14).
/// </summary>
public sealed class RaceTests(TestStore store) : StoreFixture(store)
{
    private const int Contenders = 8;

    [Test]
    public async Task Of_concurrent_updates_with_the_same_If_Match_exactly_one_wins_per_version_and_the_others_get_412()
    {
        var patient = await CreatePatientAsync();

        for (var version = 1; version <= 3; version++)
        {
            var ifMatch = $"W/\"{version}\"";
            var answers = await Task.WhenAll(Enumerable.Range(0, Contenders).Select(i =>
            {
                var changed = (Patient)patient.DeepCopy();
                // A non-identity element, which the professional keeps up to date (DMP-RULES §3).
                changed.Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, null, $"Contender{version}-{i}")];
                return Fhir.UpdateAsync(changed, r => r.Headers.TryAddWithoutValidation("If-Match", ifMatch));
            }));

            var statuses = answers.Select(a => a.Status).ToList();
            Assert.That(statuses.Count(s => s == HttpStatusCode.OK), Is.EqualTo(1), $"version {version}: {string.Join(", ", answers.Select(a => a.ToString()))}");
            Assert.That(statuses.Where(s => s != HttpStatusCode.OK), Is.All.EqualTo(HttpStatusCode.PreconditionFailed), string.Join(", ", statuses));
            var winner = answers.Single(a => a.Status == HttpStatusCode.OK).Resource<Patient>();
            var read = await Fhir.GetAsync($"fhir/Patient/{patient.Id}");
            Assert.Multiple(() =>
            {
                Assert.That(read.ETag, Is.EqualTo($"W/\"{version + 1}\""));
                Assert.That(read.Resource<Patient>().Telecom[0].Value, Is.EqualTo(winner.Telecom[0].Value), "the stored version is the winner's");
            });
        }

        Assert.That(await VersionCountAsync("Patient", patient.Id!), Is.EqualTo(4), "one version per winner, none for the losers");
    }

    [Test]
    public async Task Concurrent_conditional_creates_of_one_patient_make_one_resource()
    {
        var builder = new PatientBuilder();
        var criteria = $"identifier={Ins.NirSystem}|{builder.Ins}";

        var answers = await Task.WhenAll(Enumerable.Range(0, Contenders).Select(_ =>
            Fhir.CreateAsync(builder.Build(), r => r.Headers.Add("If-None-Exist", criteria))));

        var all = string.Join(", ", answers.Select(a => a.ToString()));
        Assert.That(answers.Count(a => a.Status == HttpStatusCode.Created), Is.EqualTo(1), all);
        Assert.That(answers.Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.Created).Or.EqualTo(HttpStatusCode.OK), all);
        var ids = answers.Select(a => a.Resource<Patient>().Id).Distinct().ToList();
        Assert.That(ids, Has.Count.EqualTo(1), "every answer names the one Patient");
        var found = await Fhir.SearchBundleAsync("Patient", "identifier=" + Uri.EscapeDataString($"{Ins.NirSystem}|{builder.Ins}"));
        Assert.That(found.Entry.Where(e => e.Resource is Patient).Select(e => e.Resource!.Id), Is.EqualTo(ids));
    }

    [Test]
    public async Task Of_concurrent_replacements_of_one_document_exactly_one_wins_and_the_others_get_409()
    {
        var patient = await CreatePatientAsync();
        var old = await CreateDocumentAsync(DocumentBuilder.For(patient));

        var answers = await Task.WhenAll(Enumerable.Range(0, Contenders).Select(_ =>
            Fhir.CreateAsync(DocumentBuilder.For(patient).Replacing(old.Id!).Build())));

        var all = string.Join(", ", answers.Select(a => a.ToString()));
        Assert.That(answers.Count(a => a.Status == HttpStatusCode.Created), Is.EqualTo(1), all);
        Assert.That(answers.Where(a => a.Status != HttpStatusCode.Created).Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.Conflict), all);
        var replacements = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&relatesto=DocumentReference/{old.Id}");
        var current = await Fhir.SearchBundleAsync("DocumentReference", $"patient={patient.Id}&status=current");
        var winner = answers.Single(a => a.Status == HttpStatusCode.Created).Resource<DocumentReference>().Id;
        Assert.Multiple(async () =>
        {
            Assert.That(replacements.MatchIds(), Is.EqualTo(new[] { winner }), "one replacement stored, the losers' none");
            Assert.That(current.MatchIds(), Is.EqualTo(new[] { winner }));
            Assert.That((await Fhir.GetAsync($"fhir/DocumentReference/{old.Id}")).Resource<DocumentReference>().Status, Is.EqualTo(DocumentReferenceStatus.Superseded));
            Assert.That(await VersionCountAsync("DocumentReference", old.Id!), Is.EqualTo(2), "superseded once");
        });
    }

    [Test]
    public async Task Of_concurrent_legal_representatives_of_one_record_exactly_two_are_recorded_and_the_others_get_422()
    {
        var child = await CreatePatientAsync(new PatientBuilder().BornOn(DateOnly.FromDateTime(DateTime.UtcNow).AddYears(-5)));
        var roles = new[] { "MTH", "FTH", "GUARD", "PRN" };

        var answers = await Task.WhenAll(Enumerable.Range(0, Contenders).Select(i =>
            Fhir.CreateAsync(RelatedPersonBuilder.For(child).As(roles[i % roles.Length]).Build())));

        var all = string.Join(", ", answers.Select(a => a.ToString()));
        Assert.That(answers.Count(a => a.Status == HttpStatusCode.Created), Is.EqualTo(2), all);
        Assert.That(answers.Where(a => a.Status != HttpStatusCode.Created).Select(a => a.Status), Is.All.EqualTo(HttpStatusCode.UnprocessableEntity), all);
        Assert.That(answers.Where(a => a.Status != HttpStatusCode.Created).Select(a => a.ToString()), Is.All.Contains("legal representatives at most"), "the sequential case's answer");
        await using var scope = App.Services.CreateAsyncScope();
        var stored = await scope.ServiceProvider.GetRequiredService<DmpDbContext>().Resources
            .CountAsync(r => r.PatientId == child.Id && r.ResourceType == "RelatedPerson" && r.IsCurrent && !r.IsDeleted);
        Assert.That(stored, Is.EqualTo(2), "two representatives stored, the losers' none");
    }

    private async Task<int> VersionCountAsync(string type, string id)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<DmpDbContext>().Resources.CountAsync(r => r.ResourceType == type && r.LogicalId == id);
    }
}
