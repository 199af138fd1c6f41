using System.ComponentModel.DataAnnotations;

namespace DmpApi.Search;

/// <summary>Configuration section "Search": page sizes and page tokens (DESIGN §4).</summary>
public sealed class SearchOptions
{
    public const string Section = "Search";

    [Range(1, 500)]
    public int DefaultCount { get; set; } = 20;

    [Range(1, 500)]
    public int MaxCount { get; set; } = 500;

    /// <summary>How long a `next` link stays usable.</summary>
    public TimeSpan PageTokenLifetime { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>HMAC key of page tokens; instances behind one load balancer share it. Defaults to one derived from Auth:SigningKey.</summary>
    public string? PageTokenKey { get; set; }

    /// <summary>Most criterion values one search may hold, ANDed parameters and ORed values together: each one is a SQL predicate.</summary>
    [Range(1, 10_000)]
    public int MaxCriteria { get; set; } = 100;

    /// <summary>Deepest offset a page token may reach (deep paging costs the database a scan).</summary>
    [Range(1, 1_000_000)]
    public int MaxOffset { get; set; } = 10_000;
}
