using System.Net;
using DmpApi.Notifications;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using SmtpServer.Protocol;

namespace DmpApi.Tests.Notifications;

/// <summary>
/// Notices that reach people (issue 15): the notification rows are the outbox, and the sender mails them to a real SMTP
/// server started by the test; once each, across a crash and several instances; with retries and a status the patient sees.
/// </summary>
[TestFixtureSource(typeof(TestStores), nameof(TestStores.All))]
public sealed class MailDeliveryTests(TestStore store)
{
    private const string PatientAddress = "jeanne.dupont@patient.test";
    private const string TreatingDoctor = "810005555555";
    private const string TreatingDoctorAddress = "dr.traitant@cabinet.test";
    private const string PermittedDoctor = "810003333333";
    private const string EmergencyDoctor = "810004444444";

    private readonly List<IAsyncDisposable> _cleanup = [];

    [TearDown]
    public async Task CleanUpAsync()
    {
        // Applications first (they talk to the server and the database), then the server, then the database.
        foreach (var disposable in Enumerable.Reverse(_cleanup))
        {
            await disposable.DisposeAsync();
        }

        _cleanup.Clear();
    }

    [Test]
    public async Task A_first_access_and_an_emergency_episode_are_mailed_once_each_after_the_sender_was_killed_mid_delivery_and_restarted()
    {
        var database = await DatabaseAsync();
        var smtp = Smtp();
        var settings = Settings(smtp, ("Notifications:Delivery:PollInterval", "00:00:00.100"), ("Notifications:Delivery:LeaseDuration", "00:00:02"),
            ("Notifications:Delivery:RetryBaseDelay", "00:00:00.500"));
        var held = smtp.HoldNextAsync();
        var first = new DmpApiApplication(database, settings);
        var fhir = new FhirHttp(first.CreateClient(), Tokens.Professional());
        var (patient, ins) = await RecordWithAddressesAsync(fhir);

        // A first access (normal mode) and an emergency episode of two requests by another professional.
        Assert.That((await fhir.As(Tokens.Professional(PermittedDoctor)).GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.OK));
        var asEmergency = fhir.As(Tokens.ProfessionalFor("BTG", EmergencyDoctor));
        Assert.That((await asEmergency.GetAsync($"fhir/Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await asEmergency.SearchAsync("DocumentReference", $"patient=Patient/{patient.Id}")).Status, Is.EqualTo(HttpStatusCode.OK));

        // The sender is killed while the server holds the DATA of the first mail: the host stops, the lease stays.
        await held.WaitAsync(TimeSpan.FromSeconds(30));
        await first.DisposeAsync();
        smtp.Release();
        // An instance without SMTP settings (its sender is off) reads what the patient sees.
        var reader = new FhirHttp(Track(new DmpApiApplication(database)).CreateClient(), Tokens.Professional());
        var notices = await NoticesAsync(reader, patient, ins);
        Assert.That(notices.Select(n => n.Status), Has.Some.EqualTo(EventStatus.InProgress), "the interrupted attempt is counted: in progress");

        // Restarted as two instances on the same database: every notice is mailed, and none twice.
        var second = Track(new DmpApiApplication(database, settings));
        var third = Track(new DmpApiApplication(database, settings));
        _ = second.Services; // starts each host, so both senders run
        _ = third.Services;
        var received = await smtp.WaitForAsync(notices.Count, TimeSpan.FromSeconds(60));
        await Task.Delay(TimeSpan.FromSeconds(3)); // past a lease: a duplicate would have arrived by now
        received = smtp.Received;
        notices = await NoticesAsync(reader, patient, ins);

        var byNotice = received.GroupBy(m => m.MessageId ?? "(none)").ToDictionary(g => g.Key, g => g.ToList());
        Assert.Multiple(() =>
        {
            Assert.That(notices.Select(Text), Has.Some.Contains("première fois").And.Some.Contains("bris de glace"));
            foreach (var notice in notices)
            {
                Assert.That(byNotice.GetValueOrDefault($"notice-{notice.Id}@dmp.test"), Has.Count.EqualTo(1), $"notice {notice.Id} mailed once: {Text(notice)}");
                Assert.That(notice.Status, Is.EqualTo(EventStatus.Completed), $"notice {notice.Id}");
                Assert.That(notice.StatusReason?.Text, Does.StartWith("250"));
            }

            Assert.That(received, Has.Count.EqualTo(notices.Count), "nothing else, nothing twice");
            Assert.That(To(received, PatientAddress).Select(Body), Has.Exactly(1).Contains("première fois").And.Exactly(1).Contains("bris de glace"),
                "one mail for the first access, one for the emergency episode of two requests");
            Assert.That(To(received, TreatingDoctorAddress).Select(Body), Has.Exactly(1).Contains("bris de glace"), "the médecin traitant's, at the contained Practitioner's address");
        });
    }

    [Test]
    public async Task A_temporary_refusal_is_retried_after_an_exponential_backoff_and_the_patient_sees_each_status()
    {
        var clock = new TestClock(DateTimeOffset.UtcNow);
        var smtp = Smtp();
        var app = Track(new DmpApiApplication(await DatabaseAsync(), Settings(smtp, ("Notifications:Delivery:PollInterval", "01:00:00"),
            ("Notifications:Delivery:RetryBaseDelay", "00:01:00")), clock));
        var fhir = new FhirHttp(app.CreateClient(), Tokens.Professional());
        var sender = app.Services.GetRequiredService<NotificationSender>();
        var (patient, ins) = await RecordWithAddressesAsync(fhir);
        await fhir.As(Tokens.Professional(PermittedDoctor)).GetAsync($"fhir/Patient/{patient.Id}");
        var waiting = (await NoticesAsync(fhir, patient, ins)).Single(n => Text(n).Contains(PermittedDoctor, StringComparison.Ordinal));
        smtp.Refuse(SmtpReplyCode.MailboxUnavailable - 100, SmtpReplyCode.MailboxUnavailable - 100); // 450, 450: try later

        await sender.SendDueAsync(CancellationToken.None);
        var afterOne = await NoticeAsync(fhir, ins, waiting.Id!);
        clock.Advance(TimeSpan.FromSeconds(59));
        await sender.SendDueAsync(CancellationToken.None);
        var beforeBackoff = smtp.Received.Count;
        clock.Advance(TimeSpan.FromSeconds(2));
        await sender.SendDueAsync(CancellationToken.None); // second refusal: the next wait is doubled
        clock.Advance(TimeSpan.FromSeconds(119));
        await sender.SendDueAsync(CancellationToken.None);
        var stillWaiting = await NoticeAsync(fhir, ins, waiting.Id!);
        clock.Advance(TimeSpan.FromSeconds(2));
        await sender.SendDueAsync(CancellationToken.None);
        var delivered = await NoticeAsync(fhir, ins, waiting.Id!);

        Assert.Multiple(() =>
        {
            Assert.That(waiting.Status, Is.EqualTo(EventStatus.Preparation), "before any attempt");
            Assert.That(afterOne.Status, Is.EqualTo(EventStatus.InProgress));
            Assert.That(afterOne.StatusReason?.Text, Does.StartWith("450"), "the SMTP answer");
            Assert.That(beforeBackoff, Is.Zero, "not retried before the first minute");
            Assert.That(stillWaiting.Status, Is.EqualTo(EventStatus.InProgress), "not retried before two more minutes");
            Assert.That(delivered.Status, Is.EqualTo(EventStatus.Completed));
            Assert.That(delivered.StatusReason?.Text, Does.StartWith("250"));
            Assert.That(To(smtp.Received, PatientAddress), Has.Count.EqualTo(1));
        });
    }

    [Test]
    public async Task A_permanent_refusal_stops_the_notice_without_retrying()
    {
        var smtp = Smtp();
        var app = Track(new DmpApiApplication(await DatabaseAsync(), Settings(smtp, ("Notifications:Delivery:PollInterval", "01:00:00"))));
        var fhir = new FhirHttp(app.CreateClient(), Tokens.Professional());
        var sender = app.Services.GetRequiredService<NotificationSender>();
        var (patient, ins) = await RecordWithAddressesAsync(fhir);
        await fhir.As(Tokens.Professional(PermittedDoctor)).GetAsync($"fhir/Patient/{patient.Id}");
        var notice = (await NoticesAsync(fhir, patient, ins)).Single(n => Text(n).Contains(PermittedDoctor, StringComparison.Ordinal));
        smtp.Refuse(SmtpReplyCode.MailboxUnavailable); // 550

        await sender.SendDueAsync(CancellationToken.None);
        await sender.SendDueAsync(CancellationToken.None);
        var refused = await NoticeAsync(fhir, ins, notice.Id!);

        Assert.Multiple(() =>
        {
            Assert.That(refused.Status, Is.EqualTo(EventStatus.Stopped));
            Assert.That(refused.StatusReason?.Text, Does.StartWith("550"));
            Assert.That(smtp.Received, Is.Empty);
        });
    }

    [Test]
    public async Task A_recipient_without_a_mail_address_is_not_mailed_and_the_notice_says_not_done()
    {
        var smtp = Smtp();
        var app = Track(new DmpApiApplication(await DatabaseAsync(), Settings(smtp, ("Notifications:Delivery:PollInterval", "01:00:00"))));
        var fhir = new FhirHttp(app.CreateClient(), Tokens.Professional());
        var builder = new PatientBuilder();
        var patient = await fhir.CreatedAsync(builder.Build());
        await fhir.As(Tokens.Patient(builder.Ins!)).CreatedAsync(ConsentBuilder.For(patient).Permitting(PermittedDoctor).Build());
        await fhir.As(Tokens.Professional(PermittedDoctor)).GetAsync($"fhir/Patient/{patient.Id}");

        await app.Services.GetRequiredService<NotificationSender>().SendDueAsync(CancellationToken.None);
        var notice = (await NoticesAsync(fhir, patient, builder.Ins!)).Single(n => Text(n).Contains(PermittedDoctor, StringComparison.Ordinal));

        Assert.Multiple(() =>
        {
            Assert.That(notice.Status, Is.EqualTo(EventStatus.NotDone));
            Assert.That(notice.StatusReason?.Text, Does.Contain("No e-mail address"));
            Assert.That(smtp.Received, Is.Empty);
        });
    }

    [Test]
    public async Task An_emergency_access_after_the_episode_window_is_a_new_episode()
    {
        var clock = new TestClock(DateTimeOffset.UtcNow);
        var app = Track(new DmpApiApplication(await DatabaseAsync(), new Dictionary<string, string?> { ["Notifications:EmergencyEpisodeWindow"] = "04:00:00" }, clock));
        var fhir = new FhirHttp(app.CreateClient(), Tokens.Professional());
        var (patient, ins) = await RecordWithAddressesAsync(fhir);
        var asEmergency = fhir.As(Tokens.ProfessionalFor("BTG", EmergencyDoctor));

        await asEmergency.GetAsync($"fhir/Patient/{patient.Id}");
        clock.Advance(TimeSpan.FromHours(3.9));
        await asEmergency.GetAsync($"fhir/Patient/{patient.Id}");
        var withinEpisode = await EmergenciesToPatientAsync(fhir, patient, ins);
        clock.Advance(TimeSpan.FromHours(0.2));
        await asEmergency.GetAsync($"fhir/Patient/{patient.Id}");
        var nextEpisode = await EmergenciesToPatientAsync(fhir, patient, ins);

        Assert.That((withinEpisode, nextEpisode), Is.EqualTo((1, 2)), "3.9 h after the first notice: the same episode; 4.1 h after: a new one");
    }

    [Test]
    public async Task An_SMTP_host_without_a_sender_address_stops_the_start()
    {
        await using var app = new DmpApiApplication(await DatabaseAsync(), new Dictionary<string, string?> { ["Notifications:Smtp:Host"] = "127.0.0.1" });

        var failure = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => app.CreateClient());

        Assert.That(failure!.Message, Does.Contain("Notifications:Smtp:From"));
    }

    [Test]
    public void The_backoff_doubles_from_its_base_up_to_its_ceiling()
    {
        var options = new DeliveryOptions { RetryBaseDelay = TimeSpan.FromSeconds(30), RetryMaxDelay = TimeSpan.FromMinutes(5) };

        Assert.That(Enumerable.Range(1, 6).Select(options.Backoff),
            Is.EqualTo(new[] { 30, 60, 120, 240, 300, 300 }.Select(s => TimeSpan.FromSeconds(s))));
    }

    private async Task<TestDatabase> DatabaseAsync()
    {
        var database = await store.CreateDatabaseAsync();
        _cleanup.Insert(0, database); // disposed last
        return database;
    }

    private TestSmtpServer Smtp()
    {
        var smtp = TestSmtpServer.Start();
        _cleanup.Insert(Math.Min(1, _cleanup.Count), smtp);
        return smtp;
    }

    private T Track<T>(T disposable) where T : IAsyncDisposable
    {
        _cleanup.Add(disposable);
        return disposable;
    }

    private static Dictionary<string, string?> Settings(TestSmtpServer smtp, params (string Key, string Value)[] more)
    {
        var settings = smtp.Settings();
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>A record with the patient's address, a médecin traitant with theirs (a contained Practitioner), and a permit for <see cref="PermittedDoctor"/>.</summary>
    private static async Task<(Patient Patient, string Ins)> RecordWithAddressesAsync(FhirHttp fhir)
    {
        var builder = new PatientBuilder();
        var draft = builder.Build();
        draft.Telecom.Add(new ContactPoint(ContactPoint.ContactPointSystem.Email, ContactPoint.ContactPointUse.Home, PatientAddress));
        draft.Contained.Add(new Practitioner
        {
            Id = "gp",
            Identifier = [new Identifier(Systems.IdNatPs, TreatingDoctor)],
            Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Email, ContactPoint.ContactPointUse.Work, TreatingDoctorAddress)],
        });
        draft.GeneralPractitioner.Add(new ResourceReference("#gp") { Identifier = new Identifier(Systems.IdNatPs, TreatingDoctor) });
        var patient = await fhir.CreatedAsync(draft);
        await fhir.As(Tokens.Patient(builder.Ins!)).CreatedAsync(ConsentBuilder.For(patient).Permitting(PermittedDoctor).Build());
        return (patient, builder.Ins!);
    }

    private static async Task<List<Communication>> NoticesAsync(FhirHttp fhir, Patient patient, string ins)
    {
        var bundle = await fhir.As(Tokens.Patient(ins)).SearchBundleAsync("Communication", $"patient=Patient/{patient.Id}&_count=100");
        return bundle.Entry.Select(e => e.Resource).OfType<Communication>().ToList();
    }

    private static async Task<Communication> NoticeAsync(FhirHttp fhir, string ins, string id)
    {
        var read = await fhir.As(Tokens.Patient(ins)).GetAsync($"fhir/Communication/{id}");
        Assert.That(read.Status, Is.EqualTo(HttpStatusCode.OK), read.ToString());
        return read.Resource<Communication>();
    }

    private static async Task<int> EmergenciesToPatientAsync(FhirHttp fhir, Patient patient, string ins) =>
        (await NoticesAsync(fhir, patient, ins)).Count(c => Text(c).Contains(EmergencyDoctor, StringComparison.Ordinal)
            && c.Recipient.Single().Reference == $"Patient/{patient.Id}");

    private static List<MimeMessage> To(IEnumerable<MimeMessage> messages, string address) =>
        messages.Where(m => m.To.Mailboxes.Any(a => a.Address == address)).ToList();

    private static string Body(MimeMessage message) => message.TextBody ?? string.Empty;

    private static string Text(Communication c) => (c.Payload.Single().Content as FhirString)?.Value ?? string.Empty;
}
