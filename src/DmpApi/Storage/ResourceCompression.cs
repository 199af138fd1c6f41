using System.IO.Compression;

namespace DmpApi.Storage;

/// <summary>Resource JSON is stored Brotli-compressed (DESIGN §5): FHIR JSON shrinks 4-8×, at the fastest level.</summary>
public static class ResourceCompression
{
    public static byte[] Compress(byte[] json)
    {
        using var output = new MemoryStream(json.Length / 3 + 64);
        using (var brotli = new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            brotli.Write(json);
        }

        return output.ToArray();
    }

    public static byte[] Decompress(byte[] data)
    {
        using var input = new MemoryStream(data);
        using var brotli = new BrotliStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream(data.Length * 4);
        brotli.CopyTo(output);
        return output.ToArray();
    }
}
