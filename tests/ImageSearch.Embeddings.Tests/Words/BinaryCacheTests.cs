
namespace ImageSearch.Embeddings.Tests.Words;

public class BinaryCacheTests
{
    [Fact]
    public async Task Round_trips_exactly_through_a_file_and_a_stream()
    {
        var original = WordTestData.Random(1000, 13);
        using var dir = new TempDir();
        string path = dir.File("w.wvec");
        await original.SaveBinaryAsync(path);
        WordTestData.AssertEqual(original, await WordVectors.LoadBinaryAsync(path));
        Assert.Equal(WordVectorFormat.Binary, await WordVectors.DetectFormatAsync(path));
        WordTestData.AssertEqual(original, await WordVectors.LoadAsync(path));

        var ms = new MemoryStream();
        original.WriteBinary(ms);
        Assert.Equal(new FileInfo(path).Length, ms.Length);
        ms.Position = 0;
        WordTestData.AssertEqual(original, await WordVectors.LoadAsync(ms));
    }

    [Fact]
    public async Task Save_replaces_atomically_and_leaves_no_temporary_file()
    {
        using var dir = new TempDir();
        string path = dir.File("w.wvec");
        await WordTestData.Random(10, 3, seed: 1).SaveBinaryAsync(path);
        var second = WordTestData.Random(20, 4, seed: 2);
        await second.SaveBinaryAsync(path);
        WordTestData.AssertEqual(second, await WordVectors.LoadBinaryAsync(path));
        Assert.Equal(["w.wvec"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Cancelled_save_keeps_the_old_file()
    {
        using var dir = new TempDir();
        string path = dir.File("w.wvec");
        var first = WordTestData.Random(10, 3, seed: 1);
        await first.SaveBinaryAsync(path);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => WordTestData.Random(20, 4, seed: 2).SaveBinaryAsync(path, cts.Token));
        WordTestData.AssertEqual(first, await WordVectors.LoadBinaryAsync(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    public static TheoryData<int> TruncationPoints => new() { 0, 3, 8, 20, 31, 32, 40, 200, -500, -5, -4, -1 };

    [Theory]
    [MemberData(nameof(TruncationPoints))]
    public async Task Truncated_files_are_rejected_as_truncated(int cut)
    {
        byte[] bytes = Serialize(WordTestData.Random(100, 7));
        int length = cut >= 0 ? cut : bytes.Length + cut;
        using var dir = new TempDir();
        string path = dir.File("w.wvec");
        await File.WriteAllBytesAsync(path, bytes[..length]);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => WordVectors.LoadBinaryAsync(path));
        Assert.Contains("truncated", e.Message);
        Assert.Contains(path, e.Message);

        // A non-seekable stream cannot know the length up front; it must still notice.
        var e2 = await Assert.ThrowsAsync<InvalidDataException>(() => WordVectors.LoadBinaryAsync(new NonSeekable(bytes[..length])));
        Assert.Contains("truncated", e2.Message);
    }

    [Fact]
    public async Task Flipping_any_byte_is_detected()
    {
        byte[] bytes = Serialize(WordTestData.Random(60, 5));
        // Every header byte, then a spread of word, vector and checksum bytes.
        var positions = Enumerable.Range(0, 32).Concat(Enumerable.Range(0, 60).Select(i => 32 + i * (bytes.Length - 40) / 60)).Append(bytes.Length - 1);
        foreach (int p in positions)
        {
            byte[] copy = (byte[])bytes.Clone();
            copy[p] ^= 0x20;
            var e = await Assert.ThrowsAsync<InvalidDataException>(() => WordVectors.LoadBinaryAsync(new MemoryStream(copy)));
            Assert.Contains("corrupt word-vector cache", e.Message);
        }
    }

    [Fact]
    public async Task Each_kind_of_damage_is_named()
    {
        byte[] bytes = Serialize(WordTestData.Random(30, 4));

        byte[] magic = (byte[])bytes.Clone();
        magic[0] = (byte)'X';
        Assert.Contains("bad magic", (await Assert.ThrowsAsync<InvalidDataException>(() => Load(magic))).Message);

        byte[] version = (byte[])bytes.Clone();
        version[8] = 2;
        Assert.Contains("unsupported version 2", (await Assert.ThrowsAsync<InvalidDataException>(() => Load(version))).Message);

        byte[] payload = (byte[])bytes.Clone();
        payload[^10] ^= 1;
        Assert.Contains("checksum mismatch", (await Assert.ThrowsAsync<InvalidDataException>(() => Load(payload))).Message);

        byte[] longer = [.. bytes, 0];
        Assert.Contains("unexpected bytes", (await Assert.ThrowsAsync<InvalidDataException>(() => Load(longer))).Message);

        Assert.Contains("bad magic", (await Assert.ThrowsAsync<InvalidDataException>(() => Load("a 1 2\n"u8.ToArray()))).Message);
    }

    private static Task<WordVectors> Load(byte[] bytes) => WordVectors.LoadBinaryAsync(new MemoryStream(bytes));

    private static byte[] Serialize(WordVectors v)
    {
        var ms = new MemoryStream();
        v.WriteBinary(ms);
        return ms.ToArray();
    }

    [Fact]
    public void A_non_seekable_stream_allocates_what_it_holds_not_what_its_header_declares()
    {
        // A header declaring 2,000,000 words in 1 GB and 1,000-d vectors, then 1 KB: it used to allocate the 1 GB first.
        byte[] data = new byte[WordVectorsBinaryFormat.HeaderSize + 1024];
        WordVectorsBinaryFormat.Magic.CopyTo(data);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(8), WordVectorsBinaryFormat.Version);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(12), 1000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(16), 2_000_000);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(24), 1_000_000_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => WordVectorsBinaryFormat.Read(new NonSeekable(data), "test", default));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("truncated", e.Message);
        Assert.True(allocated < 4 << 20, $"allocated {allocated:N0} bytes for a 1 KB stream");
    }

    [Fact]
    public async Task A_table_larger_than_the_first_read_loads_from_a_non_seekable_stream()
    {
        var original = WordTestData.Random(4000, 100); // 1.6 MB of vectors: read in growing pieces
        WordTestData.AssertEqual(original, await WordVectors.LoadBinaryAsync(new NonSeekable(Serialize(original))));
    }

    private sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }
}
