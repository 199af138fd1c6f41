using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace DmpApi.Audit;

/// <summary>
/// The tamper-evident audit trail (DMP-RULES §4: the trail must be provably complete). Each record carries a sequence
/// number (1, 2, 3… without gaps) and the SHA-256 of a canonical serialisation of every field, its sequence and the
/// previous record's hash. Editing a record breaks its own hash, deleting one leaves a gap in the sequence, reordering
/// breaks the hashes of the records moved. Rewriting the whole tail consistently needs the head hash to be compared
/// with a copy kept elsewhere: <see cref="Verification.HeadHash"/> is what to keep.
/// </summary>
public static class AuditChain
{
    /// <summary>Hex SHA-256.</summary>
    public const int HashLength = 64;

    /// <summary>The "previous hash" of the first record.</summary>
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>Gives each record its sequence and hash, following on from the last link (null: the chain starts here).</summary>
    public static (long Sequence, string Hash) Link(IEnumerable<AuditRecord> records, (long Sequence, string Hash)? last)
    {
        var (sequence, hash) = last ?? (0, Genesis);
        foreach (var record in records)
        {
            record.Sequence = ++sequence;
            record.Hash = hash = HashOf(record, hash);
        }

        return (sequence, hash);
    }

    /// <summary>SHA-256 of the canonical form: a JSON array of the sequence, the previous hash and every field, in a fixed order.</summary>
    public static string HashOf(AuditRecord record, string previousHash)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            json.WriteNumberValue(record.Sequence ?? 0);
            json.WriteStringValue(previousHash);
            // Millisecond UTC text: what every provider stores and gives back, whatever DateTimeKind it reads.
            json.WriteStringValue(record.RecordedAt.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            foreach (var text in new[]
            {
                record.PatientId, record.RequesterKind, record.Subject, record.IdNatPs, record.Ins, record.Name,
                record.Profession, record.PurposeOfUse, record.Interaction, record.Method, record.Path,
                record.ResourceType, record.ResourceIds, record.ClientAddress, record.RequestId,
            })
            {
                if (text is null)
                {
                    json.WriteNullValue();
                }
                else
                {
                    json.WriteStringValue(text);
                }
            }

            json.WriteNumberValue(record.HttpStatus);
            json.WriteNumberValue(record.Outcome);
            // Appended only when present, so records written before the field existed keep their hash.
            if (record.PurposeOfUseReason is not null)
            {
                json.WriteStringValue(record.PurposeOfUseReason);
            }

            json.WriteEndArray();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    /// <summary>Walks the chain in sequence order and stops at the first broken link.</summary>
    /// <param name="records">Every record, ordered by <see cref="AuditRecord.Sequence"/> (records without one first).</param>
    public static async Task<Verification> VerifyAsync(IAsyncEnumerable<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        long checkedCount = 0, unchained = 0, expected = 1;
        var previous = Genesis;
        await foreach (var record in records.WithCancellation(cancellationToken))
        {
            if (record.Sequence is null)
            {
                // Records from before the chain existed are reported, not verified: they cannot have been written after it.
                unchained++;
                continue;
            }

            if (record.Sequence != expected)
            {
                return new Verification(checkedCount, unchained, previous,
                    new BrokenLink(record.Id, expected, record.Sequence < expected
                        ? $"record {record.Id} has sequence {record.Sequence} where {expected} was expected: a record was duplicated or moved"
                        : $"records {expected} to {record.Sequence - 1} of the sequence are missing: deleted"));
            }

            if (record.Hash != HashOf(record, previous))
            {
                return new Verification(checkedCount, unchained, previous,
                    new BrokenLink(record.Id, expected, $"record {record.Id} (sequence {expected}) does not match its hash: edited, or its predecessor was"));
            }

            previous = record.Hash;
            expected++;
            checkedCount++;
        }

        return new Verification(checkedCount, unchained, previous, null);
    }

    /// <summary>What a walk of the chain found.</summary>
    /// <param name="Checked">Links verified before the first broken one (all of them when <see cref="Broken"/> is null).</param>
    /// <param name="Unchained">Records from before the chain existed.</param>
    /// <param name="HeadHash">Hash of the last verified link: keep a copy elsewhere to detect a rewritten tail.</param>
    public sealed record Verification(long Checked, long Unchained, string HeadHash, BrokenLink? Broken)
    {
        public bool IsIntact => Broken is null;
    }

    /// <param name="RecordId">The row where the chain breaks.</param>
    /// <param name="Sequence">The sequence number expected there.</param>
    public sealed record BrokenLink(long RecordId, long Sequence, string Reason);
}
