using System.Net;
using DmpApi.Audit;
using DmpApi.Storage;
using DmpApi.Tests.Infrastructure;
using Hl7.Fhir.Model;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace DmpApi.Tests.Reliability;

/// <summary>Per-requester rate limiting (RateLimits section): past its bucket a requester gets 429 with Retry-After; others do not.</summary>
public sealed class RateLimitTests(TestStore store) : StoreFixture(store)
{
    private const int Burst = 3;

    protected override IReadOnlyDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>
    {
        ["RateLimits:Enabled"] = "true",
        ["RateLimits:PermitsPerSecond"] = "1",
        ["RateLimits:Burst"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [Test]
    public async Task A_requester_past_its_burst_gets_429_with_Retry_After_and_an_OperationOutcome()
    {
        var requester = Fhir.As(Tokens.Professional(idNatPs: NewIdNatPs()));

        var answers = await SendBurstAsync(requester, Burst + 2);

        Assert.That(answers.Take(Burst).Select(a => a.Status), Has.None.EqualTo(HttpStatusCode.TooManyRequests));
        var throttled = answers.Last();
        Assert.That(throttled.Status, Is.EqualTo(HttpStatusCode.TooManyRequests), throttled.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(throttled.Headers.RetryAfter?.Delta, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(throttled.Outcome.Issue.Single().Code, Is.EqualTo(OperationOutcome.IssueType.Throttled));
        });
    }

    [Test]
    public async Task One_requester_being_throttled_does_not_throttle_another()
    {
        var greedy = Fhir.As(Tokens.Professional(idNatPs: NewIdNatPs()));
        var other = Fhir.As(Tokens.Professional(idNatPs: NewIdNatPs()));
        var greedyAnswers = await SendBurstAsync(greedy, Burst + 2);
        Assert.That(greedyAnswers.Last().Status, Is.EqualTo(HttpStatusCode.TooManyRequests), "Arrange: the first requester is throttled");

        var answer = await other.GetAsync($"fhir/Patient/{Guid.NewGuid():N}");

        Assert.That(answer.Status, Is.Not.EqualTo(HttpStatusCode.TooManyRequests), answer.ToString());
    }

    [Test]
    public async Task A_throttled_request_is_traced()
    {
        var idNatPs = NewIdNatPs();
        var answers = await SendBurstAsync(Fhir.As(Tokens.Professional(idNatPs: idNatPs)), Burst + 2);
        Assert.That(answers.Last().Status, Is.EqualTo(HttpStatusCode.TooManyRequests));

        await using var scope = App.Services.CreateAsyncScope();
        var statuses = await scope.ServiceProvider.GetRequiredService<DmpDbContext>().AuditRecords
            .Where(r => r.IdNatPs == idNatPs).Select(r => r.HttpStatus).ToListAsync();

        Assert.That(statuses, Has.Count.EqualTo(Burst + 2));
        Assert.That(statuses, Does.Contain(429));
    }

    private static async Task<List<FhirResponse>> SendBurstAsync(FhirHttp requester, int count)
    {
        var answers = new List<FhirResponse>();
        for (var i = 0; i < count; i++)
        {
            answers.Add(await requester.GetAsync($"fhir/Patient/{Guid.NewGuid():N}"));
        }

        return answers;
    }

    private static string NewIdNatPs() => "8" + Random.Shared.NextInt64(10_000_000_000, 99_999_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
