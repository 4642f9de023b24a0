using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ImageSearch;

/// <summary>
/// The framing of the engine's JSON side files: a first line <c>&lt;magic&gt; 1 &lt;sha256&gt;</c>, then a JSON document whose
/// bytes that SHA-256 covers, so truncation or editing is detected when the file is read.
/// </summary>
internal static class ChecksummedJson
{
    private const int Version = 1;

    internal static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void Write<T>(Stream stream, string magic, T value)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(value, Options);
        stream.Write(Encoding.ASCII.GetBytes($"{magic} {Version} {Convert.ToHexStringLower(SHA256.HashData(body))}\n"));
        stream.Write(body);
    }

    public static T Read<T>(string path, string magic, string what)
    {
        byte[] all = File.ReadAllBytes(path);
        int nl = Array.IndexOf(all, (byte)'\n');
        string[] header = nl < 0 ? [] : Encoding.ASCII.GetString(all, 0, nl).Split(' ');
        if (header.Length != 3 || header[0] != magic)
        {
            throw new InvalidDataException($"'{path}' is not an ImageSearch {what} file.");
        }

        if (header[1] != "1")
        {
            throw new InvalidDataException($"'{path}' is {what} format version {header[1]}; this library reads version {Version}.");
        }

        ReadOnlySpan<byte> body = all.AsSpan(nl + 1);
        if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(body)), header[2], StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{path}' fails its checksum (truncated or edited).");
        }

        try
        {
            return JsonSerializer.Deserialize<T>(body, Options) ?? throw new InvalidDataException($"'{path}' is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }
}
