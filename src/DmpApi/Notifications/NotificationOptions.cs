using System.ComponentModel.DataAnnotations;

namespace DmpApi.Notifications;

/// <summary>Configuration section "Notifications" (DMP-RULES §4).</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>How often unannounced INVISIBLE_PATIENT documents are looked for (CSP R1111-53).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);
}
