using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace DmpApi.Audit;

/// <summary>
/// The tamper-evident audit trail (DMP-RULES §4: the trail must be provably complete), as one hash chain per writer: each
/// process registers a chain (<see cref="AuditChainHead"/>) and appends only to it, keeping its head in memory, so that
/// instances never read or lock each other's links. Each record carries its chain, a sequence number in that chain
/// (1, 2, 3… without gaps) and the SHA-256 of a canonical serialisation of every field, its sequence and the previous
/// record's hash (the chain's own genesis hash for the first). Editing a record breaks its own hash, deleting one leaves a
/// gap, reordering or moving records to another chain breaks the hashes of the records moved, and the head anchored in
/// the chain's row with every batch shows a truncated or rewritten tail.
/// </summary>
public static class AuditChain
{
    /// <summary>Hex SHA-256.</summary>
    public const int HashLength = 64;

    /// <summary>The "previous hash" of the first record of the chain from before per-writer chains (<see cref="Guid.Empty"/>).</summary>
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    /// <summary>The "previous hash" of a chain's first record: its own, so that records cannot be moved from one chain to another.</summary>
    public static string GenesisOf(Guid chainId) => chainId == Guid.Empty
        ? Genesis
        : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("dmpapi-audit-chain:" + chainId.ToString("D"))));

    /// <summary>Gives each record its chain, sequence and hash, following on from the chain's head (null: the chain starts here).</summary>
    public static (long Sequence, string Hash) Link(IEnumerable<AuditRecord> records, Guid chainId, (long Sequence, string Hash)? head)
    {
        var (sequence, hash) = head ?? (0, GenesisOf(chainId));
        foreach (var record in records)
        {
            record.ChainId = chainId;
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

            // Likewise, and a JSON true cannot be mistaken for a reason's text.
            if (record.HiddenFromRepresentatives)
            {
                json.WriteBooleanValue(true);
            }

            json.WriteEndArray();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    /// <summary>Walks one chain in sequence order, stops at the first broken link, and checks that it ends at its anchored head.</summary>
    /// <param name="chain">The chain's registration and anchored head.</param>
    /// <param name="records">The chain's records, ordered by <see cref="AuditRecord.Sequence"/>.</param>
    public static async Task<ChainVerification> VerifyAsync(AuditChainHead chain, IAsyncEnumerable<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        long checkedCount = 0, expected = 1, lastId = 0;
        var previous = GenesisOf(chain.Id);
        ChainVerification Broken(long recordId, long sequence, string reason) =>
            new(chain, checkedCount, previous, new BrokenLink(chain.Id, recordId, sequence, reason));

        await foreach (var record in records.WithCancellation(cancellationToken))
        {
            if (record.Sequence != expected)
            {
                return Broken(record.Id, expected, record.Sequence < expected
                    ? $"record {record.Id} has sequence {record.Sequence} where {expected} was expected: a record was duplicated or moved"
                    : $"records {expected} to {record.Sequence - 1} of the sequence are missing: deleted");
            }

            if (record.Hash != HashOf(record, previous))
            {
                return Broken(record.Id, expected,
                    $"record {record.Id} (sequence {expected}) does not match its hash: edited, moved, or its predecessor was");
            }

            previous = record.Hash;
            lastId = record.Id;
            expected++;
            checkedCount++;
        }

        if (checkedCount < chain.HeadSequence)
        {
            return Broken(lastId, expected,
                $"the chain ends at sequence {checkedCount} but its anchored head is sequence {chain.HeadSequence}: its tail was deleted");
        }

        if (checkedCount > chain.HeadSequence || previous != chain.HeadHash)
        {
            return Broken(lastId, checkedCount,
                $"the chain ends at sequence {checkedCount} with hash {previous}, not at its anchored head (sequence {chain.HeadSequence}, hash {chain.HeadHash}): its tail was rewritten or appended without the writer");
        }

        return new ChainVerification(chain, checkedCount, previous, null);
    }

    /// <summary>What a walk of one chain found.</summary>
    /// <param name="Chain">The chain's registration and anchored head.</param>
    /// <param name="Checked">Links verified before the first broken one (all of them when <see cref="Broken"/> is null).</param>
    /// <param name="HeadHash">Hash of the last verified link.</param>
    public sealed record ChainVerification(AuditChainHead Chain, long Checked, string HeadHash, BrokenLink? Broken);

    /// <summary>What a walk of the whole trail found: each chain walked, in the order of their start.</summary>
    /// <param name="Chains">The chains walked, up to and including the first broken one.</param>
    /// <param name="Unchained">Records from before the chain existed.</param>
    /// <param name="Broken">The first broken link: in a chain, or a record whose chain is not registered.</param>
    public sealed record Verification(IReadOnlyList<ChainVerification> Chains, long Unchained, BrokenLink? Broken)
    {
        public bool IsIntact => Broken is null;

        /// <summary>Links verified in every chain.</summary>
        public long Checked => Chains.Sum(c => c.Checked);
    }

    /// <param name="ChainId">The chain where the trail breaks.</param>
    /// <param name="RecordId">The row where it breaks (0 when the chain has none left).</param>
    /// <param name="Sequence">The sequence number expected there.</param>
    public sealed record BrokenLink(Guid ChainId, long RecordId, long Sequence, string Reason);
}
