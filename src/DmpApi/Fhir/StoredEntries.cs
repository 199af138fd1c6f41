using System.Text.Json;

using Hl7.Fhir.Model;

namespace DmpApi.Fhir;

/// <summary>A resource version as the store keeps it: its FHIR JSON as written, parsed only when its model is needed.</summary>
public interface IStoredEntry
{
    string ResourceType { get; }
    string Id { get; }
    int Version { get; }
    /// <summary>When the version was written (UTC): its meta.lastUpdated.</summary>
    DateTime LastUpdated { get; }
    /// <summary>The record the version belongs to, null for resources outside any record.</summary>
    string? PatientId { get; }
    /// <summary>The FHIR JSON as the store wrote it (null for a deleted version).</summary>
    byte[]? Json { get; }
    Resource? Resource { get; }
}

/// <summary>
/// Puts stored resources into a Bundle's JSON: the SDK serialises the Bundle without them, and each entry's
/// `resource` is the FHIR JSON the store wrote (itself SDK output), placed after the entry's `fullUrl` as FHIR's element
/// order has it (FHIR R4 §2.6.2). A searchset of ten documents was mostly parsing them and serialising them again.
/// </summary>
public static class StoredEntries
{
    private static ReadOnlySpan<byte> ResourceProperty => ",\"resource\":"u8;

    /// <summary><paramref name="resources"/>[i] goes into the i-th entry, which must have a fullUrl.</summary>
    public static byte[] Splice(byte[] bundle, IReadOnlyList<byte[]> resources)
    {
        var cuts = new List<(int At, byte[] Json)>(resources.Count);
        var reader = new Utf8JsonReader(bundle);
        var inEntries = false;
        var entry = -1;
        while (reader.Read())
        {
            switch (reader.CurrentDepth, reader.TokenType)
            {
                case (1, JsonTokenType.PropertyName):
                    inEntries = reader.ValueTextEquals("entry"u8);
                    break;
                case (2, JsonTokenType.StartObject) when inEntries:
                    entry++;
                    break;
                case (3, JsonTokenType.PropertyName) when inEntries && reader.ValueTextEquals("fullUrl"u8):
                    reader.Read();
                    if (entry < resources.Count)
                    {
                        cuts.Add(((int)reader.BytesConsumed, resources[entry]));
                    }

                    break;
            }
        }

        if (cuts.Count != resources.Count)
        {
            throw new InvalidOperationException("Every entry given a stored resource must have a fullUrl.");
        }

        var output = new byte[bundle.Length + cuts.Sum(c => ResourceProperty.Length + c.Json.Length)];
        var (from, to) = (0, 0);
        foreach (var (at, json) in cuts)
        {
            bundle.AsSpan(from, at - from).CopyTo(output.AsSpan(to));
            to += at - from;
            ResourceProperty.CopyTo(output.AsSpan(to));
            to += ResourceProperty.Length;
            json.CopyTo(output.AsSpan(to));
            to += json.Length;
            from = at;
        }

        bundle.AsSpan(from).CopyTo(output.AsSpan(to));
        return output;
    }
}
