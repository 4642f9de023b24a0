using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageSearch.Embeddings.Engine;

/// <summary>
/// Reads and writes the payload file of an engine folder: a first line <c>imagesearch-photos 1 &lt;sha256&gt;</c>, then a JSON
/// document whose bytes that SHA-256 covers, so truncation or editing is detected on open.
/// </summary>
internal static class PhotoCatalog
{
    private const string Magic = "imagesearch-photos";
    private const int Version = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    internal sealed record Entry(long Key, string Path, string Label, long Size, DateTime LastWriteUtc, string? Hash);

    internal sealed record Document(long NextKey, List<Entry> Photos);

    public static void Write(Stream stream, long nextKey, IEnumerable<KeyValuePair<long, PhotoInfo>> photos)
    {
        var entries = photos
            .OrderBy(p => p.Key)
            .Select(p => new Entry(p.Key, p.Value.Path, p.Value.Label, p.Value.Size, p.Value.LastWriteUtc, p.Value.ContentHash))
            .ToList();
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new Document(nextKey, entries), Json);
        string header = $"{Magic} {Version} {Convert.ToHexStringLower(SHA256.HashData(body))}\n";
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(body);
    }

    public static Document Read(string path)
    {
        byte[] all = File.ReadAllBytes(path);
        int nl = Array.IndexOf(all, (byte)'\n');
        string[] header = nl < 0 ? [] : Encoding.ASCII.GetString(all, 0, nl).Split(' ');
        if (header.Length != 3 || header[0] != Magic)
        {
            throw new InvalidDataException($"'{path}' is not an ImageSearch photo catalog.");
        }

        if (header[1] != Version.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new InvalidDataException($"'{path}' is catalog version {header[1]}; this library reads version {Version}.");
        }

        ReadOnlySpan<byte> body = all.AsSpan(nl + 1);
        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(body)), header[2], StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{path}' fails its checksum (truncated or edited).");
        }

        Document doc;
        try
        {
            doc = JsonSerializer.Deserialize<Document>(body, Json) ?? throw new InvalidDataException($"'{path}' is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }

        doc = doc with { Photos = doc.Photos ?? [] };
        foreach (var e in doc.Photos)
        {
            if (e.Key >= doc.NextKey || string.IsNullOrEmpty(e.Path) || e.Label is null)
            {
                throw new InvalidDataException($"'{path}': entry {e.Key} is malformed.");
            }
        }

        return doc;
    }
}
