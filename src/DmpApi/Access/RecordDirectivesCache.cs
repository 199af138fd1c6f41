using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace DmpApi.Access;

/// <summary>
/// The version stamp of a record's access facts: how many Patient and Consent rows the record has, all versions, and the
/// newest row's key. Rows are append-only (every change to the Patient or a Consent, deletion included, adds a version
/// row), so any change gives a new stamp; the stamp is read on every request.
/// </summary>
public readonly record struct RecordStamp(int Versions, long LastRowId);

/// <summary>
/// The directives last derived from each record's Patient and Consents, reused only while the record's stamp, read by the
/// request itself, is unchanged: a revoked Consent takes effect on the next request (DMP-RULES §2), without parsing the
/// record's resources again on every request. Bounded by Access:RecordCacheSize records (least recently used go first).
/// </summary>
public sealed class RecordDirectivesCache(IOptions<AccessOptions> options) : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = Math.Max(1, options.Value.RecordCacheSize) });

    public bool TryGet(string patientId, RecordStamp stamp, out RecordDirectives? record)
    {
        if (_cache.TryGetValue(patientId, out Entry? entry) && entry!.Stamp == stamp)
        {
            record = entry.Record;
            return true;
        }

        record = null;
        return false;
    }

    /// <summary>The directives last read and their stamp, to be confirmed by a stamp the caller reads in its own statement.</summary>
    public bool TryPeek(string patientId, out RecordStamp stamp, out RecordDirectives? record)
    {
        if (_cache.TryGetValue(patientId, out Entry? entry))
        {
            (stamp, record) = (entry!.Stamp, entry.Record);
            return true;
        }

        (stamp, record) = (default, null);
        return false;
    }

    /// <summary>Only for directives read from committed rows: a caller inside a transaction must not share what it may roll back.</summary>
    public void Set(string patientId, RecordStamp stamp, RecordDirectives? record) =>
        _cache.Set(patientId, new Entry(stamp, record), new MemoryCacheEntryOptions { Size = 1 });

    public void Dispose() => _cache.Dispose();

    private sealed record Entry(RecordStamp Stamp, RecordDirectives? Record);
}
