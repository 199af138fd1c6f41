using System.Net;
using DmpApi.Tests.Infrastructure;
using DmpApi.Auth;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Minors;

/// <summary>
/// A minor's record and their legal representatives (issue 14): representatives act as the patient does while the holder
/// is a minor, minus what is labelled INVISIBLE_REPRESENTANTS_LEGAUX; at majority the holder takes over, without a write.
/// </summary>
public sealed class LegalRepresentativeTests(TestStore store) : StoreFixture(store)
{
    private const string Pharmacist = "810007000001";

    private readonly TestClock _clock = new(DateTimeOffset.UtcNow);

    protected override TimeProvider? Clock => _clock;

    /// <summary>Today in France on the application's clock: majority is decided on that day.</summary>
    private DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(_clock.Now, TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris")).DateTime);

    /// <summary>A child's record opened by the doctor (a birth at the maternity), with their mother recorded as representative.</summary>
    private async Task<(Patient Child, string ChildIns, FhirHttp AsMother, string MotherIns)> ChildWithMotherAsync(DateOnly? bornOn = null, string? accessMode = null)
    {
        var builder = new PatientBuilder().BornOn(bornOn ?? Today.AddYears(-10));
        if (accessMode is not null)
        {
            builder.MinorAccessMode(accessMode);
        }

        var child = await CreatePatientAsync(builder);
        var mother = RelatedPersonBuilder.For(child).As("MTH");
        await Fhir.CreatedAsync(mother.Build());
        return (child, builder.Ins!, Fhir.As(Tokens.Representative(builder.Ins!, mother.RepresentativeIns)), mother.RepresentativeIns);
    }

    private static DocumentBuilder InvisibleToRepresentatives(Patient child) =>
        DocumentBuilder.For(child).SecurityLabel(Systems.Visibility, "INVISIBLE_REPRESENTANTS_LEGAUX");

    [Test]
    public async Task A_representative_reads_the_childs_record_but_never_a_document_invisible_to_representatives()
    {
        var (child, _, asMother, _) = await ChildWithMotherAsync();
        var visible = await CreateDocumentAsync(DocumentBuilder.For(child));
        var hidden = await CreateDocumentAsync(InvisibleToRepresentatives(child));

        var search = await asMother.SearchBundleAsync("DocumentReference", $"patient={child.Id}&_total=accurate");
        var count = await asMother.SearchBundleAsync("DocumentReference", $"patient={child.Id}&_summary=count");
        var read = await asMother.GetAsync($"fhir/DocumentReference/{hidden.Id}");
        var vread = await asMother.GetAsync($"fhir/DocumentReference/{hidden.Id}/_history/1");
        var history = await asMother.GetAsync($"fhir/DocumentReference/{hidden.Id}/_history");
        var content = await asMother.GetAsync(hidden.Content.Single().Attachment.Url!);
        var visibleContent = await asMother.GetAsync(visible.Content.Single().Attachment.Url!);

        Assert.Multiple(() =>
        {
            Assert.That(search.MatchIds(), Is.EqualTo(new[] { visible.Id }));
            Assert.That(search.Total, Is.EqualTo(1), "not counted");
            Assert.That(count.Total, Is.EqualTo(1));
            foreach (var response in new[] { read, vread, history, content })
            {
                Assert.That(response.Status, Is.EqualTo(HttpStatusCode.NotFound), response.ToString());
            }

            Assert.That(visibleContent.Status, Is.EqualTo(HttpStatusCode.OK), visibleContent.ToString());
        });
    }

    [Test]
    public async Task Earlier_versions_of_a_deleted_document_invisible_to_representatives_stay_absent_for_them()
    {
        var (child, _, asMother, _) = await ChildWithMotherAsync();
        var hidden = await CreateDocumentAsync(InvisibleToRepresentatives(child));
        var deleted = await Fhir.DeleteAsync($"fhir/DocumentReference/{hidden.Id}");

        var vread = await asMother.GetAsync($"fhir/DocumentReference/{hidden.Id}/_history/1");

        Assert.Multiple(() =>
        {
            Assert.That(deleted.Status, Is.EqualTo(HttpStatusCode.NoContent), deleted.ToString());
            Assert.That(vread.Status, Is.EqualTo(HttpStatusCode.NotFound), vread.ToString());
        });
    }

    [Test]
    public async Task A_representative_acts_as_the_patient_masking_a_document_and_authorising_a_professional()
    {
        var (child, _, asMother, _) = await ChildWithMotherAsync();
        var report = await CreateDocumentAsync(DocumentBuilder.For(child));

        var masked = await asMother.PatchAsync($"fhir/DocumentReference/{report.Id}", JsonPatches.Mask);
        var permit = await asMother.CreateAsync(ConsentBuilder.For(child).Permitting(Pharmacist).Build());
        var pharmacistSearch = await Fhir.As(Tokens.Professional(Pharmacist, profession: "21")).SearchAsync("DocumentReference", $"patient={child.Id}");
        var traces = await asMother.SearchAsync("AuditEvent", $"patient={child.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(masked.Status, Is.EqualTo(HttpStatusCode.OK), masked.ToString());
            Assert.That(permit.Status, Is.EqualTo(HttpStatusCode.Created), permit.ToString());
            Assert.That(pharmacistSearch.Status, Is.EqualTo(HttpStatusCode.OK), "the representative's permit lets the pharmacist in");
            Assert.That(traces.Status, Is.EqualTo(HttpStatusCode.OK), traces.ToString());
        });
    }

    [Test]
    public async Task Someone_no_RelatedPerson_names_is_refused_the_childs_record()
    {
        var (child, childIns, _, _) = await ChildWithMotherAsync();

        var stranger = await Fhir.As(Tokens.Representative(childIns, TestIns.New())).GetAsync($"fhir/Patient/{child.Id}");

        Assert.That(stranger.Status, Is.EqualTo(HttpStatusCode.Forbidden), stranger.ToString());
        Assert.That(stranger.Diagnostics, Does.Contain("RelatedPerson"));
    }

    [Test]
    public async Task A_record_has_two_legal_representatives_at_most()
    {
        var (child, _, asMother, _) = await ChildWithMotherAsync();

        var father = await asMother.CreateAsync(RelatedPersonBuilder.For(child).As("FTH").Build());
        var third = await asMother.CreateAsync(RelatedPersonBuilder.For(child).As("GUARD").Build());

        Assert.Multiple(() =>
        {
            Assert.That(father.Status, Is.EqualTo(HttpStatusCode.Created), father.ToString());
            Assert.That(third.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), third.ToString());
        });
    }

    [Test]
    public async Task A_relationship_outside_the_legal_representatives_is_refused()
    {
        var child = await CreatePatientAsync(new PatientBuilder().BornOn(Today.AddYears(-3)));

        var neighbour = await Fhir.CreateAsync(RelatedPersonBuilder.For(child).As("NBOR").Build());

        Assert.That(neighbour.Status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), neighbour.ToString());
    }

    [Test]
    public async Task A_professional_records_a_representative_but_does_not_end_one()
    {
        var child = await CreatePatientAsync(new PatientBuilder().BornOn(Today.AddYears(-1)));
        var mother = await Fhir.CreatedAsync(RelatedPersonBuilder.For(child).Build());
        mother.Active = false;

        var ended = await Fhir.UpdateAsync(mother);
        var deleted = await Fhir.DeleteAsync($"fhir/RelatedPerson/{mother.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(ended.Status, Is.EqualTo(HttpStatusCode.Forbidden), ended.ToString());
            Assert.That(deleted.Status, Is.EqualTo(HttpStatusCode.Forbidden), deleted.ToString());
        });
    }

    [Test]
    public async Task The_minor_holder_has_no_access_until_the_day_they_come_of_age()
    {
        var (child, childIns, asMother, _) = await ChildWithMotherAsync(bornOn: Today.AddYears(-18).AddDays(1));
        var adult = await ChildWithMotherAsync(bornOn: Today.AddYears(-18));

        var minorReads = await Fhir.As(Tokens.Patient(childIns)).GetAsync($"fhir/Patient/{child.Id}");
        var motherReads = await asMother.GetAsync($"fhir/Patient/{child.Id}");
        var adultReads = await Fhir.As(Tokens.Patient(adult.ChildIns)).GetAsync($"fhir/Patient/{adult.Child.Id}");
        var formerRepresentativeReads = await adult.AsMother.GetAsync($"fhir/Patient/{adult.Child.Id}");

        Assert.Multiple(() =>
        {
            Assert.That(minorReads.Status, Is.EqualTo(HttpStatusCode.Forbidden), "a day before majority");
            Assert.That(motherReads.Status, Is.EqualTo(HttpStatusCode.OK), motherReads.ToString());
            Assert.That(adultReads.Status, Is.EqualTo(HttpStatusCode.OK), "on the 18th birthday");
            Assert.That(formerRepresentativeReads.Status, Is.EqualTo(HttpStatusCode.Forbidden), "the representative's access ends on that day");
            Assert.That(formerRepresentativeReads.Diagnostics, Does.Contain("came of age"));
        });
    }

    [Test]
    public async Task A_record_opened_in_secret_mode_is_closed_to_representatives_and_they_cannot_lift_it()
    {
        var (child, _, asMother, _) = await ChildWithMotherAsync(accessMode: "secret");
        var (normalChild, _, asOtherMother, _) = await ChildWithMotherAsync(accessMode: "normal");
        var lifted = (Patient)normalChild.DeepCopy();
        lifted.Extension.Clear();
        lifted.Extension.Add(new Extension("http://localhost/fhir" + Patients.MinorRecord.AccessModeName, new Code("secret")));

        var secretRead = await asMother.GetAsync($"fhir/Patient/{child.Id}");
        var secretSearch = await asMother.SearchAsync("DocumentReference", $"patient={child.Id}");
        var changed = await asOtherMother.UpdateAsync(lifted);

        Assert.Multiple(() =>
        {
            Assert.That(secretRead.Status, Is.EqualTo(HttpStatusCode.Forbidden), secretRead.ToString());
            Assert.That(secretRead.Diagnostics, Does.Contain("secret"));
            Assert.That(secretSearch.Status == HttpStatusCode.OK ? secretSearch.Resource<Bundle>().MatchIds() : [], Is.Empty,
                "a representative's search is confined to what they may read");
            Assert.That(changed.Status, Is.EqualTo(HttpStatusCode.Forbidden), changed.ToString());
        });
    }

    [Test]
    public async Task A_representative_does_not_open_a_record()
    {
        var builder = new PatientBuilder().BornOn(Today.AddYears(-2));

        var opened = await Fhir.As(Tokens.Representative(builder.Ins!, TestIns.New())).CreateAsync(builder.Build());

        Assert.That(opened.Status, Is.EqualTo(HttpStatusCode.Forbidden), opened.ToString());
    }

    [Test]
    public async Task A_trace_the_professional_kept_from_representatives_is_absent_for_them()
    {
        var (child, _, asMother, _) = await ChildWithMotherAsync();
        var discreet = Fhir.As(Tokens.With(DevelopmentTokens.Professional(Tokens.DoctorIdNatPs, "10", "Dr Test")
            .Append(new System.Security.Claims.Claim("trace_restriction", "INVISIBLE_REPRESENTANTS_LEGAUX"))));
        await discreet.GetAsync($"fhir/Patient/{child.Id}");
        await Fhir.GetAsync($"fhir/Patient/{child.Id}");

        var traces = await asMother.SearchBundleAsync("AuditEvent", $"patient={child.Id}&agent={Tokens.DoctorIdNatPs}&_total=accurate&_count=100");
        var hiddenId = await HiddenTraceIdAsync(child);
        var read = await asMother.GetAsync($"fhir/AuditEvent/{hiddenId}");

        Assert.Multiple(() =>
        {
            var events = traces.Entry.Select(e => e.Resource).OfType<AuditEvent>().ToList();
            Assert.That(events, Is.Not.Empty, "the ordinary reads stay visible");
            Assert.That(events.Select(e => e.Id), Does.Not.Contain(hiddenId));
            Assert.That(events.SelectMany(e => e.Meta?.Security ?? []), Is.Empty);
            Assert.That(traces.Total, Is.EqualTo(events.Count), "not counted");
            Assert.That(read.Status, Is.EqualTo(HttpStatusCode.NotFound), read.ToString());
        });
    }

    /// <summary>The restricted trace, found in the database: no requester of this test may list it.</summary>
    private async Task<string> HiddenTraceIdAsync(Patient child)
    {
        await using var services = App.Services.CreateAsyncScope();
        var db = services.ServiceProvider.GetRequiredService<DmpApi.Storage.DmpDbContext>();
        var id = await db.Set<DmpApi.Audit.AuditRecord>().Where(r => r.PatientId == child.Id && r.HiddenFromRepresentatives).Select(r => r.Id).SingleAsync();
        return id.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
