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
    public void AFewRowsOfATinyDimensionAllocateAboutThePageLimitNotAMillionRows()
    {
        // Dimension 1, Int8 with f32 rows kept: a page used to hold a million rows (keys, codes, f32 rows, two bound
        // terms: 24 MB), allocated whole for a file of 30 rows (the fuzzer's finding was a 1,702-byte file like it).
        var index = new ExactIndex(1, DistanceMetric.InnerProduct, VectorElementType.Int8, keepFloat32Rows: true);
        index.AddRange(Enumerable.Range(0, 30).Select(i => (long)i).ToArray(), Enumerable.Range(0, 30).Select(i => i - 14.5f).ToArray());
        byte[] bytes = Bytes(index);
        foreach (Func<Stream> open in new Func<Stream>[] { () => new MemoryStream(bytes), () => new NonSeekable(new MemoryStream(bytes)) })
        {
            using Stream stream = open();
            long before = GC.GetAllocatedBytesForCurrentThread();
            IVectorIndex loaded = VectorIndex.Load(stream);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated <= VectorStore.MaxPageBytes + (64L * bytes.Length), $"allocated {allocated:N0} bytes for a {bytes.Length:N0}-byte file");
            Assert.Equal(index.Search([1f], 30), loaded.Search([1f], 30));
        }

        foreach (VectorElementType type in new[] { VectorElementType.Float32, VectorElementType.Float16, VectorElementType.Int8 })
        {
            foreach (bool keep in type == VectorElementType.Int8 ? new[] { false, true } : new[] { false })
            {
                for (int dim = 1; dim <= 1 << 20; dim *= 2)
                {
                    int rows = VectorStore.PageRows(dim, type, keep);
                    long pageBytes = rows * (9L + (type switch { VectorElementType.Float32 => 4L * dim, VectorElementType.Float16 => 2L * dim, _ => dim + (keep ? (4L * dim) + 8 : 0) }));
                    Assert.True(rows == 64 || pageBytes <= VectorStore.MaxPageBytes, $"{type} {keep} dim {dim}: {rows} rows, {pageBytes:N0} bytes");
                    Assert.True(rows >= 64 && (rows & (rows - 1)) == 0 && (rows == 64 || (long)rows * dim <= 1 << 20), $"{type} dim {dim}: {rows} rows");
                }
            }
        }

        // Ordinary dimensions keep their pages of 2^20 elements (the scan kernels' working size).
        Assert.Equal(1 << 14, VectorStore.PageRows(64, VectorElementType.Float32, false));
        Assert.Equal(1 << 10, VectorStore.PageRows(1024, VectorElementType.Int8, true));
    }

    [Theory]
    [InlineData(false, VectorElementType.Float32, false)]
    [InlineData(false, VectorElementType.Int8, true)]
    [InlineData(true, VectorElementType.Float16, false)]
    [InlineData(true, VectorElementType.Int8, true)]
    public void ANonSeekableStreamAllocatesWhatItHoldsNotWhatItsHeaderDeclares(bool hnsw, VectorElementType type, bool keep)
    {
        // A checksum-valid header (and KEYS section header) declaring 100 million 1,000-d rows, then 64 KB of keys: from
        // a stream that cannot seek, nothing may be sized from the header (it used to allocate every page first).
        IVectorIndex sample = hnsw
            ? new HnswIndex(1000, DistanceMetric.Cosine, new HnswOptions { M = 4, ElementType = type, KeepFloat32Rows = keep })
            : new ExactIndex(1000, DistanceMetric.Cosine, type, keep);
        sample.AddRange(Enumerable.Range(0, 10).Select(i => (long)i).ToArray(), NaiveReference.RandomVectors(new Random(5), 10, 1000));
        byte[] bytes = Bytes(sample);
        const long slots = 100_000_000;
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(24), slots);
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(32), slots);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(44), Crc32C.Compute(bytes.AsSpan(0, 44)));
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(48 + 8), slots * 8); // KEYS length
        byte[] input = new byte[48 + 16 + 65536];
        bytes.AsSpan(0, 64).CopyTo(input);
        Assert.Contains("declares", Assert.Throws<InvalidDataException>(() => VectorIndex.Load(new MemoryStream(input))).Message);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => VectorIndex.Load(new NonSeekable(new MemoryStream(input))));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("truncated", e.Message);
        Assert.True(allocated < 4 << 20, $"allocated {allocated:N0} bytes for a {input.Length:N0}-byte stream");
    }

    [Fact]
    public void ANonSeekableStreamSizesTheGraphFromTheLinksThatArriveNotFromM()
    {
        // 40,000 rows of dimension 1 (0.5 MB in the store), then an HNSW section whose M (checksum fixed up) says 256:
        // the layer-0 lists would need 2 KB a slot. From a stream that cannot seek the graph used to be sized before its
        // sections were read (84 MB here); now link pages come with the lists, and the wrong LNK0 length stops it first.
        const int count = 40_000;
        var index = new HnswIndex(1, DistanceMetric.SquaredL2, new HnswOptions { M = 4, EfConstruction = 8, Seed = 1 });
        index.AddRange(Enumerable.Range(0, count).Select(i => (long)i).ToArray(), Enumerable.Range(0, count).Select(i => (float)i).ToArray());
        byte[] bytes = Bytes(index);
        byte[] tag = "HNSW"u8.ToArray();
        int at = bytes.AsSpan().IndexOf(tag);
        Assert.True(at > 48 && System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at + 16)) == 4, "the HNSW section holds M first");
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at + 16), 256);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at + 80), Crc32C.Compute(bytes.AsSpan(at, 80)));

        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => VectorIndex.Load(new NonSeekable(new MemoryStream(bytes))));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("LNK0", e.Message);
        Assert.True(allocated < 20 << 20, $"allocated {allocated:N0} bytes for a {bytes.Length:N0}-byte stream");
    }

    [Theory]
    [InlineData(false, VectorElementType.Float32, false)]
    [InlineData(false, VectorElementType.Float16, false)]
    [InlineData(false, VectorElementType.Int8, false)]
    [InlineData(false, VectorElementType.Int8, true)]
    [InlineData(true, VectorElementType.Float32, false)]
    [InlineData(true, VectorElementType.Int8, true)]
    public void ANonSeekableStreamLoadsTheSameIndexAcrossPages(bool hnsw, VectorElementType type, bool keep)
    {
        // Dimension 2048: 512 rows a page, so 1,300 rows span three pages, read as they arrive.
        const int dim = 2048, count = 1300;
        IVectorIndex index = hnsw
            ? new HnswIndex(dim, DistanceMetric.SquaredL2, new HnswOptions { M = 4, EfConstruction = 16, ElementType = type, KeepFloat32Rows = keep })
            : new ExactIndex(dim, DistanceMetric.SquaredL2, type, keep);
        index.AddRange(Enumerable.Range(0, count).Select(i => (long)i * 7).ToArray(), NaiveReference.RandomVectors(new Random(9), count, dim));
        index.Remove(14);
        index.Remove(7 * 1000);
        byte[] bytes = Bytes(index);
        IVectorIndex loaded = VectorIndex.Load(new NonSeekable(new MemoryStream(bytes)));
        Assert.Equal(bytes, Bytes(loaded));
        Assert.Equal(index.Count, loaded.Count);

        // The same index as from a seekable stream, and the same answers as before saving (an Int8 HNSW routes through
        // removed rows, so their norms must be restored too).
        IVectorIndex fromSeekable = VectorIndex.Load(new MemoryStream(bytes));
        float[] q = NaiveReference.RandomVectors(new Random(10), 1, dim);
        Assert.Equal(fromSeekable.Search(q, 20), loaded.Search(q, 20));
        Assert.Equal(index.Search(q, 20), loaded.Search(q, 20));
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
