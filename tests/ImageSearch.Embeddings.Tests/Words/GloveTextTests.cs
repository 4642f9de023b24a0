using System.IO.Compression;
using System.Text;

namespace ImageSearch.Embeddings.Tests.Words;

public class GloveTextTests
{
    private static MemoryStream Utf8(string text) => new(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task Reads_hand_written_text_in_file_order()
    {
        var v = await WordVectors.LoadTextAsync(Utf8("the 0.1 -2 3e-2\nof 1 2 3\n, -0.5 0 1.25\n"));
        Assert.Equal(["the", "of", ","], v.Words);
        Assert.Equal(3, v.Dimension);
        Assert.Equal([0.1f, -2f, 0.03f], v.GetVector("the").ToArray());
        Assert.Equal([-0.5f, 0f, 1.25f], v.GetVector(",").ToArray());
    }

    [Fact]
    public async Task Tolerates_bom_crlf_blank_lines_extra_spaces_tabs_and_no_final_newline()
    {
        var v = await WordVectors.LoadTextAsync(Utf8("\uFEFF\r\nthe  1 2\r\n\r\nof\t3 4  \r\n   \nand 5 6"));
        Assert.Equal(["the", "of", "and"], v.Words);
        Assert.Equal([5f, 6f], v.GetVector("and").ToArray());
    }

    [Fact]
    public async Task Skips_a_word2vec_header()
    {
        var v = await WordVectors.LoadTextAsync(Utf8("2 3\nthe 1 2 3\nof 4 5 6\n"));
        Assert.Equal(["the", "of"], v.Words);
        Assert.Equal(3, v.Dimension);
    }

    [Fact]
    public async Task A_numeric_word_with_one_value_is_data_not_a_header()
    {
        // "2 3" has two tokens; with a single-column vector file it is ambiguous, so it is taken as a header only on line 1.
        var v = await WordVectors.LoadTextAsync(Utf8("a 1\n2 3\n"));
        Assert.Equal(["a", "2"], v.Words);
    }

    [Theory]
    [InlineData("the 1 2 3\nof 1 2\nand 1 2 3\n", 2, "found 2")]
    [InlineData("the 1 2 3\nof 1 2 3\nand 1 2 3 4\n", 3, "found 4")]
    [InlineData("the 1 2 3\n\nof 1 x 3\n", 3, "'x'")]
    [InlineData("the 1 2 3\nof 1 2 NaN\n", 2, "'NaN'")]
    [InlineData("the 1 2 3\nof 1 2 1e39\n", 2, "finite")]
    [InlineData("the 1 2 3\nlonely\n", 2, "only a word")]
    [InlineData("2 3\nthe 1 2 3\nof 1,5 2 3\n", 3, "'1,5'")]
    public async Task Bad_lines_are_rejected_with_their_line_number(string text, int line, string detail)
    {
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => WordVectors.LoadTextAsync(Utf8(text)));
        Assert.Contains($"line {line}:", e.Message);
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public async Task Duplicates_and_empty_input_are_rejected()
    {
        Assert.Contains("twice", (await Assert.ThrowsAsync<InvalidDataException>(() => WordVectors.LoadTextAsync(Utf8("a 1\nb 2\na 3\n")))).Message);
        await Assert.ThrowsAsync<InvalidDataException>(() => WordVectors.LoadTextAsync(Utf8("")));
        await Assert.ThrowsAsync<InvalidDataException>(() => WordVectors.LoadTextAsync(Utf8("\n\n  \n")));
    }

    [Fact]
    public async Task Round_trips_through_the_writer_bit_exactly()
    {
        var original = WordTestData.Random(500, 17);
        var ms = new MemoryStream();
        await original.WriteTextAsync(ms);
        ms.Position = 0;
        WordTestData.AssertEqual(original, await WordVectors.LoadTextAsync(ms));
    }

    [Fact]
    public async Task Many_blocks_parse_in_parallel_and_report_the_right_line_across_blocks()
    {
        // 4 KB blocks over ~400 KB: about a hundred blocks, so block seams and per-block line numbers are exercised.
        var generated = WordTestData.Random(3000, 16, seed: 5);
        var words = generated.Words.ToArray();
        words[1500] = new string('w', 9000);   // one line longer than a block: the buffer must grow
        var original = WordVectors.Create(words, 16, generated.Vectors.Span);
        var ms = new MemoryStream();
        await original.WriteTextAsync(ms);
        byte[] text = ms.ToArray();
        WordTestData.AssertEqual(original, await GloveTextFormat.ReadAsync(new MemoryStream(text), "t", default, blockSize: 4096));

        using var dir = new TempDir();
        string path = dir.File("big.txt");
        await File.WriteAllBytesAsync(path, text);
        WordTestData.AssertEqual(original, await WordVectors.LoadTextAsync(path));
        WordTestData.AssertEqual(original, await WordVectors.LoadAsync(path));

        // Break line 2,777 (far into the file) by dropping its last value.
        string[] lines = await File.ReadAllLinesAsync(path);
        lines[2776] = lines[2776][..lines[2776].LastIndexOf(' ')];
        await File.WriteAllLinesAsync(path, lines);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => GloveTextFormat.ReadAsync(File.OpenRead(path), path, default, blockSize: 4096));
        Assert.Contains("line 2777:", e.Message);
        Assert.Contains("found 15", e.Message);
        Assert.Contains(path, (await Assert.ThrowsAsync<InvalidDataException>(() => WordVectors.LoadTextAsync(path))).Message);
    }

    [Fact]
    public async Task Gzip_is_recognised_by_its_magic_bytes_whatever_the_name()
    {
        var original = WordTestData.Random(300, 8);
        using var dir = new TempDir();
        string path = dir.File("vectors.txt");   // no .gz suffix on purpose
        await using (var f = File.Create(path))
        await using (var gz = new GZipStream(f, CompressionLevel.Fastest))
        {
            await original.WriteTextAsync(gz);
        }

        WordTestData.AssertEqual(original, await WordVectors.LoadTextAsync(path));
        Assert.Equal(WordVectorFormat.GloveText, await WordVectors.DetectFormatAsync(path));
        WordTestData.AssertEqual(original, await WordVectors.LoadAsync(path));
    }

    [Fact]
    public async Task Cancellation_is_honoured()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WordVectors.LoadTextAsync(Utf8("a 1\n"), cts.Token));
    }
}
