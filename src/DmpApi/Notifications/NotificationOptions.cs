using System.ComponentModel.DataAnnotations;

namespace DmpApi.Notifications;

/// <summary>Configuration section "Notifications" (DMP-RULES §4).</summary>
public sealed class NotificationOptions
{
    public const string Section = "Notifications";

    /// <summary>How often unannounced INVISIBLE_PATIENT documents are looked for (CSP R1111-53).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// One notice per emergency episode (issue 15): a professional's emergency accesses to one record within this time of
    /// the episode's first notice make no new notice (CSP R1111-48 asks that people be told, not told at every request).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00")]
    public TimeSpan EmergencyEpisodeWindow { get; set; } = TimeSpan.FromHours(4);
}

/// <summary>Configuration section "Notifications:Smtp": the mail server notices go through. No Host: notices are not mailed.</summary>
public sealed class SmtpOptions
{
    public const string Section = "Notifications:Smtp";

    /// <summary>The SMTP server; empty turns the sender off (notices stay readable as Communications, status preparation).</summary>
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 25;

    /// <summary>The sender's address (required with a Host), e.g. "Mon espace santé &lt;ne-pas-repondre@example.org&gt;".</summary>
    public string? From { get; set; }

    /// <summary>None, Auto, SslOnConnect, StartTls or StartTlsWhenAvailable (MailKit's SecureSocketOptions).</summary>
    public MailKit.Security.SecureSocketOptions Security { get; set; } = MailKit.Security.SecureSocketOptions.StartTlsWhenAvailable;

    /// <summary>With <see cref="Password"/>: authenticate to the server.</summary>
    public string? UserName { get; set; }

    public string? Password { get; set; }

    /// <summary>Longest wait for one SMTP answer; keep it under Notifications:Delivery:LeaseDuration.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(Host);
}

/// <summary>Configuration section "Notifications:Delivery": how the sender drains the outbox.</summary>
public sealed class DeliveryOptions
{
    public const string Section = "Notifications:Delivery";

    /// <summary>How often the sender looks for due notices.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most notices one instance takes at once.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 20;

    /// <summary>How long a taken notice is held; after it (a crash, a hung server), another instance takes it again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Attempts before a notice that keeps failing temporarily is given up (status stopped).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The wait after the first failure; doubled after each next one, up to <see cref="RetryMaxDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    [Range(typeof(TimeSpan), "00:00:00.001", "7.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The wait before attempt n+1 after n failed ones: base × 2^(n−1), capped.</summary>
    public TimeSpan Backoff(int failedAttempts)
    {
        var factor = Math.Pow(2, Math.Clamp(failedAttempts - 1, 0, 30));
        return TimeSpan.FromTicks((long)Math.Min(RetryMaxDelay.Ticks, RetryBaseDelay.Ticks * factor));
    }
}
