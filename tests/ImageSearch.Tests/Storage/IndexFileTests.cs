using ImageSearch.Tests.Indexes;

namespace ImageSearch.Tests.Storage;

public class IndexFileTests
{
    private static ExactIndex Sample(VectorElementType type = VectorElementType.Float32, int count = 700, int dim = 24)
    {
        var index = new ExactIndex(dim, DistanceMetric.Cosine, type);
        float[] rows = NaiveReference.RandomVectors(new Random(11), count, dim);
        index.AddRange(Enumerable.Range(0, count).Select(i => (long)i * 3).ToArray(), rows);
        index.Remove(3); // a tombstone travels through the file too
        return index;
    }

    private static byte[] Bytes(IVectorIndex index)
    {
        using var ms = new MemoryStream();
        index.Save(ms);
        return ms.ToArray();
    }

    [Theory]
    [InlineData(VectorElementType.Float32)]
    [InlineData(VectorElementType.Float16)]
    public void RoundTripPreservesEverything(VectorElementType type)
    {
        ExactIndex index = Sample(type);
        byte[] bytes = Bytes(index);
        IVectorIndex loaded = VectorIndex.Load(new MemoryStream(bytes));
        Assert.IsType<ExactIndex>(loaded);
        Assert.Equal(index.Count, loaded.Count);
        Assert.Equal(index.Dimension, loaded.Dimension);
        Assert.Equal(index.Metric, loaded.Metric);
        Assert.Equal(index.ElementType, loaded.ElementType);
        Assert.Equal(index.GetKeys().Order(), loaded.GetKeys().Order());
        Assert.False(loaded.Contains(3));
        float[] q = NaiveReference.RandomVectors(new Random(12), 1, 24);
        Assert.Equal(index.Search(q, 25), loaded.Search(q, 25));
        Assert.Equal(bytes, Bytes(loaded)); // saving again gives the same bytes: the format is deterministic
        loaded.Add(3, q); // the freed slot is reusable after loading
        Assert.Equal(3, loaded.Search(q, 1)[0].Key);
    }

    [Fact]
    public void SaveToPathIsAtomicAndLoadsBack()
    {
        string dir = Directory.CreateTempSubdirectory("isidx").FullName;
        try
        {
            string path = Path.Combine(dir, "a.isidx");
            ExactIndex index = Sample();
            index.Save(path);
            byte[] good = File.ReadAllBytes(path);

            // A failing write leaves the old file untouched and no temporary file behind.
            Assert.Throws<IOException>(() => IndexFile.SaveAtomic(path, s => { s.Write(new byte[100]); throw new IOException("disk full"); }));
            Assert.Equal(good, File.ReadAllBytes(path));
            Assert.Single(Directory.GetFiles(dir));

            ExactIndex loaded = ExactIndex.Load(path);
            Assert.Equal(index.Count, loaded.Count);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>Offsets of every section boundary: after the header, and before/after each section's header, payload and checksum.</summary>
    private static List<int> Boundaries(byte[] bytes)
    {
        var list = new List<int> { 0, 8, IndexFile.HeaderSize };
        int pos = IndexFile.HeaderSize;
        while (pos < bytes.Length)
        {
            long len = BitConverter.ToInt64(bytes, pos + 8);
            list.Add(pos + 16);
            list.Add((int)(pos + 16 + len));
            pos = (int)(pos + 16 + len + 4);
            list.Add(pos);
        }

        return list;
    }

    [Fact]
    public void TruncationAnywhereIsRejected()
    {
        byte[] bytes = Bytes(Sample());
        var cuts = Boundaries(bytes).Where(c => c < bytes.Length).ToList();
        cuts.AddRange(new[] { 1, 47, 100, bytes.Length / 2, bytes.Length - 1 });
        foreach (int cut in cuts.Distinct())
        {
            var e = Assert.Throws<InvalidDataException>(() => VectorIndex.Load(new MemoryStream(bytes, 0, cut)));
            Assert.True(e.Message.Contains("truncated") || e.Message.Contains("empty") || e.Message.Contains("magic"), $"cut at {cut}: {e.Message}");

            // A stream that cannot seek hits the end while reading instead.
            var ns = new NonSeekable(new MemoryStream(bytes, 0, cut));
            Assert.Throws<InvalidDataException>(() => VectorIndex.Load(ns));
        }
    }

    [Fact]
    public void DimensionsAboveTheLimitAreRefused()
    {
        Assert.Equal("dimension", Assert.Throws<ArgumentOutOfRangeException>(() => new ExactIndex((1 << 20) + 1)).ParamName);
        Assert.Equal("dimension", Assert.Throws<ArgumentOutOfRangeException>(() => new HnswIndex((1 << 20) + 1)).ParamName);
        byte[] bytes = Bytes(Sample(count: 2));
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(16), (1 << 20) + 1);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(44), Crc32C.Compute(bytes.AsSpan(0, 44)));
        Assert.Contains("invalid values", Assert.Throws<InvalidDataException>(() => VectorIndex.Load(new MemoryStream(bytes))).Message);
    }

    [Fact]
    public void FlippedBytesAreRejected()
    {
        byte[] bytes = Bytes(Sample());
        var rng = new Random(13);
        var positions = Boundaries(bytes).Where(p => p < bytes.Length).ToList();
        for (int i = 0; i < 60; i++) positions.Add(rng.Next(bytes.Length));
        foreach (int pos in positions.Distinct())
        {
            byte[] copy = (byte[])bytes.Clone();
            copy[pos] ^= (byte)(1 << rng.Next(8));
            Assert.Throws<InvalidDataException>(() => VectorIndex.Load(new MemoryStream(copy)));
        }
    }

    [Fact]
    public void BadMagicVersionAndChecksumSayWhich()
    {
        byte[] bytes = Bytes(Sample());
        byte[] magic = (byte[])bytes.Clone();
        magic[0] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => VectorIndex.Load(new MemoryStream(magic))).Message);

        byte[] version = (byte[])bytes.Clone();
        version[8] = 9;
        Assert.Contains("version 9", Assert.Throws<InvalidDataException>(() => VectorIndex.Load(new MemoryStream(version))).Message);

        byte[] payload = (byte[])bytes.Clone();
        payload[^30] ^= 0x10; // inside the vectors
        Assert.Contains("checksum", Assert.Throws<InvalidDataException>(() => VectorIndex.Load(new MemoryStream(payload))).Message);

        Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => VectorIndex.Load(new MemoryStream())).Message);
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), "does-not-exist-" + Guid.NewGuid().ToString("N"));
        Assert.Throws<FileNotFoundException>(() => VectorIndex.Load(path));
    }

    [Fact]
    public void CorruptFileErrorNamesThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), "isidx-" + Guid.NewGuid().ToString("N"));
        try
        {
            File.WriteAllBytes(path, "not an index"u8.ToArray());
            Assert.Contains(path, Assert.Throws<InvalidDataException>(() => VectorIndex.Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private sealed class NonSeekable(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 7)); // short reads too
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
