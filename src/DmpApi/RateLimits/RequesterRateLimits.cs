using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using DmpApi.Auth;
using DmpApi.Fhir;
using Hl7.Fhir.Model;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace DmpApi.RateLimits;

/// <summary>Configuration section "RateLimits": a token bucket per requester (idNatPs, INS, else client address).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimits";

    /// <summary>False turns limiting off (load benchmarks driving one requester at full speed; the test host).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Sustained requests per second one requester may send.</summary>
    [Range(1, 1_000_000)]
    public int PermitsPerSecond { get; set; } = 50;

    /// <summary>Requests one requester may send at once above the sustained rate (the bucket's size).</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 200;
}

/// <summary>
/// Per-requester rate limiting on /fhir (ASP.NET Core's rate limiter): one requester cannot starve the others. Past
/// its bucket a request answers 429 with Retry-After and an OperationOutcome (issue code throttled).
/// </summary>
public static class RequesterRateLimits
{
    public static IServiceCollection AddRequesterRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((limiter, configured) =>
        {
            var limits = configured.Value;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                !limits.Enabled || !context.Request.Path.StartsWithSegments("/fhir")
                    ? RateLimitPartition.GetNoLimiter(string.Empty)
                    : RateLimitPartition.GetTokenBucketLimiter(PartitionKey(context), _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = limits.Burst,
                        TokensPerPeriod = limits.PermitsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            limiter.OnRejected = RejectAsync;
        });
        return services;
    }

    /// <summary>Place after authentication (the partition is the requester) and after the audit trail (a 429 is traced too).</summary>
    public static IApplicationBuilder UseRequesterRateLimits(this IApplicationBuilder app) => app.UseRateLimiter();

    /// <summary>The requester's national identifier; without a valid token, the client address.</summary>
    internal static string PartitionKey(HttpContext context) => context.Features.Get<Requester>() switch
    {
        { IdNatPs: { } idNatPs } => "idnps:" + idNatPs,
        { Ins: { } ins } => "ins:" + ins,
        _ => "address:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown"),
    };

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        var response = rejected.HttpContext.Response;
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await FhirExceptionHandler.WriteAsync(rejected.HttpContext, HttpStatusCode.TooManyRequests, Outcomes.Build(
            OperationOutcome.IssueType.Throttled,
            $"Too many requests from this requester (RateLimits: {PermitsPerSecond(rejected.HttpContext)}/s); retry after {seconds} s."));
    }

    private static int PermitsPerSecond(HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<RateLimitOptions>>().Value.PermitsPerSecond;
}
