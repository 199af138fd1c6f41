using System.Diagnostics.Metrics;

namespace DmpApi.Access;

/// <summary>Access decisions by outcome (meter DmpApi.Access): a rise in denials or emergency accesses is worth an alert.</summary>
public static class AccessMetrics
{
    public const string MeterName = "DmpApi.Access";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Decisions = Meter.CreateCounter<long>(
        "dmpapi.access.decisions", unit: "{decision}", description: "Record access decisions, by outcome and mode or denial reason.");

    internal static void Decided(AccessDecision decision) =>
        Decisions.Add(1,
            new KeyValuePair<string, object?>("outcome", decision.IsAllowed ? "allowed" : "denied"),
            new KeyValuePair<string, object?>("reason", decision.IsAllowed ? decision.Mode.ToString() : decision.Denial.Code));
}
