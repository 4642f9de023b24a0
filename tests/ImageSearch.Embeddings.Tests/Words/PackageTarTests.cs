using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace ImageSearch.Embeddings.Tests.Words;

/// <summary>
/// The npm package's tar layer (<c>BoundedTarReader</c>): the tar formats writers produce are read, and corrupt headers
/// end in <see cref="InvalidDataException"/> without allocating what they declare.
/// </summary>
public class PackageTarTests
{
    private const string Json = "{\"dimensions\":2,\"vectors\":{\"cat\":[1,0,1,0],\"dog\":[0,1,1,1]}}";

    private static byte[] Tar(TarEntryFormat format, string member)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, format, leaveOpen: true))
        {
            foreach ((string name, string content) in new[] { ("package/package.json", "{}"), (member, Json) })
            {
                TarEntry entry = format switch
                {
                    TarEntryFormat.Pax => new PaxTarEntry(TarEntryType.RegularFile, name),
                    TarEntryFormat.Gnu => new GnuTarEntry(TarEntryType.RegularFile, name),
                    TarEntryFormat.Ustar => new UstarTarEntry(TarEntryType.RegularFile, name),
                    _ => new V7TarEntry(TarEntryType.V7RegularFile, name),
                };
                entry.DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content));
                writer.WriteEntry(entry);
            }
        }

        return tar.ToArray();
    }

    private static MemoryStream Gzip(byte[] bytes)
    {
        var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(bytes);
        }

        output.Position = 0;
        return output;
    }

    [Theory]
    [InlineData(TarEntryFormat.V7, false)]
    [InlineData(TarEntryFormat.Ustar, true)]
    [InlineData(TarEntryFormat.Pax, true)]
    [InlineData(TarEntryFormat.Gnu, true)]
    public async Task Reads_every_tar_format(TarEntryFormat format, bool longName)
    {
        // Ustar keeps a long name in its prefix field, PAX in a "path" record, GNU in a long-name entry.
        string member = longName ? "package/" + new string('d', 120) + "/vectors.json" : "package/vectors.json";
        using var dir = new TempDir();
        string path = dir.File("pkg.tgz");
        await File.WriteAllBytesAsync(path, Gzip(Tar(format, member)).ToArray());
        WordVectors words = await WordVectors.LoadWinkPackageAsync(path); // by name: format detection wants a ustar magic

        Assert.Equal(["cat", "dog"], words.Words);
        Assert.Equal([0f, 1f], words.GetVector(1).ToArray());
    }

    [Fact]
    public async Task A_pax_header_declaring_a_gigabyte_is_refused_before_it_is_allocated()
    {
        byte[] tar = Tar(TarEntryFormat.Pax, "package/vectors.json");
        int header = FindHeader(tar, (byte)'x');
        SetOctal(tar.AsSpan(header + 124, 12), 1L << 30);
        FixChecksum(tar.AsSpan(header, 512));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => WordVectors.LoadAsync(Gzip(tar)));
        Assert.Contains("more than the limit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_header_with_a_wrong_checksum_or_a_truncated_entry_is_refused()
    {
        byte[] tar = Tar(TarEntryFormat.Ustar, "package/vectors.json");
        byte[] flipped = (byte[])tar.Clone();
        flipped[FindHeader(tar, (byte)'0') + 10] ^= 1;
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => WordVectors.LoadAsync(Gzip(flipped)));
        Assert.Contains("checksum", e.Message, StringComparison.Ordinal);

        byte[] cut = tar.AsSpan(0, FindHeader(tar, (byte)'0', skip: 1) + 512 + 20).ToArray(); // 20 bytes into the JSON
        e = await Assert.ThrowsAsync<InvalidDataException>(() => WordVectors.LoadAsync(Gzip(cut)));
        Assert.Contains("ends inside", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Offset of the header of the (skip+1)-th entry with this type flag.</summary>
    private static int FindHeader(byte[] tar, byte type, int skip = 0)
    {
        for (int at = 0; at + 512 <= tar.Length;)
        {
            long size = Convert.ToInt64(Encoding.ASCII.GetString(tar, at + 124, 11), 8);
            if (tar[at + 156] == type && skip-- == 0)
            {
                return at;
            }

            at += 512 + (int)((size + 511) / 512 * 512);
        }

        throw new InvalidOperationException("no such entry");
    }

    private static void SetOctal(Span<byte> field, long value)
    {
        string octal = Convert.ToString(value, 8).PadLeft(field.Length - 1, '0');
        Encoding.ASCII.GetBytes(octal, field);
        field[^1] = 0;
    }

    private static void FixChecksum(Span<byte> header)
    {
        header.Slice(148, 8).Fill((byte)' ');
        long sum = 0;
        foreach (byte b in header)
        {
            sum += b;
        }

        SetOctal(header.Slice(148, 7), sum);
        header[155] = (byte)' ';
    }
}
