
namespace ImageSearch.Tests.Hnsw;

public class HnswPersistenceTests
{
    private static HnswIndex Sample()
    {
        const int dim = 8;
        float[] rows = HnswTestData.Random(41, 600, dim);
        var index = new HnswIndex(dim, DistanceMetric.Cosine, new HnswOptions { M = 6, EfConstruction = 40, Ef = 33, Seed = 5 });
        index.AddRange(HnswTestData.Keys(600), rows);
        index.Remove(HnswTestData.Keys(600)[17]);
        return index;
    }

    private static byte[] Bytes(IVectorIndex index)
    {
        var ms = new MemoryStream();
        index.Save(ms);
        return ms.ToArray();
    }

    /// <summary>Offsets of every section start, payload start/end (the places a truncation is most likely to confuse a reader).</summary>
    private static List<int> Boundaries(byte[] bytes)
    {
        var list = new List<int> { 0, 48 };
        int pos = 48;
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
    public void RoundTripAnswersIdentically()
    {
        HnswIndex index = Sample();
        string path = Path.Combine(Path.GetTempPath(), "hnsw-" + Guid.NewGuid().ToString("N") + ".isx");
        try
        {
            index.Save(path);
            HnswIndex loaded = HnswIndex.Load(path);
            Assert.IsType<HnswIndex>(VectorIndex.Load(path));
            Assert.Equal(index.Count, loaded.Count);
            Assert.Equal(1, loaded.DeletedCount);
            Assert.Equal((index.M, index.EfConstruction, 33), (loaded.M, loaded.EfConstruction, loaded.Ef));
            Assert.Equal(index.GetKeys().Order(), loaded.GetKeys().Order());
            float[] queries = HnswTestData.Random(42, 30, 8);
            for (int i = 0; i < 30; i++)
            {
                ReadOnlySpan<float> q = queries.AsSpan(i * 8, 8);
                Assert.Equal(index.Search(q, 7), loaded.Search(q, 7));
                Assert.Equal(index.Search(q, 7, new SearchOptions { Ef = 5 }), loaded.Search(q, 7, new SearchOptions { Ef = 5 }));
            }

            Assert.Equal(Bytes(index), Bytes(loaded)); // nothing lost or reordered

            // The loaded index keeps growing like the original (same level sequence).
            index.Add(12345, queries.AsSpan(0, 8));
            loaded.Add(12345, queries.AsSpan(0, 8));
            Assert.Equal(Bytes(index), Bytes(loaded));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void EmptyIndexRoundTrips()
    {
        var index = new HnswIndex(5, DistanceMetric.SquaredL2, new HnswOptions { Ef = 7 });
        HnswIndex loaded = HnswIndex.Load(new MemoryStream(Bytes(index)));
        Assert.Equal(0, loaded.Count);
        Assert.Equal(7, loaded.Ef);
        Assert.Empty(loaded.Search([1, 2, 3, 4, 5], 3));
        loaded.Add(1, [1, 2, 3, 4, 5]);
        Assert.Single(loaded.Search([1, 2, 3, 4, 5], 3));
    }

    [Fact]
    public void TruncationAtEverySectionBoundaryIsRejected()
    {
        byte[] bytes = Bytes(Sample());
        var cuts = Boundaries(bytes).Where(c => c < bytes.Length).ToList();
        cuts.AddRange(new[] { 1, bytes.Length / 2, bytes.Length - 1 });
        foreach (int cut in cuts.Distinct())
        {
            var e = Assert.Throws<InvalidDataException>(() => VectorIndex.Load(new MemoryStream(bytes, 0, cut)));
            Assert.False(string.IsNullOrEmpty(e.Message));
        }
    }

    [Fact]
    public void FlippedBytesAreRejected()
    {
        byte[] bytes = Bytes(Sample());
        var rng = new Random(43);
        var positions = Boundaries(bytes).Where(p => p < bytes.Length).ToList();
        for (int i = 0; i < 80; i++)
        {
            positions.Add(rng.Next(bytes.Length));
        }

        foreach (int pos in positions.Distinct())
        {
            byte[] copy = (byte[])bytes.Clone();
            copy[pos] ^= (byte)(1 << rng.Next(8));
            Assert.Throws<InvalidDataException>(() => VectorIndex.Load(new MemoryStream(copy)));
        }
    }

    [Fact]
    public void ExactFileIsNotAnHnswIndex()
    {
        var exact = new ExactIndex(3);
        exact.Add(1, [1, 2, 3]);
        Assert.Throws<InvalidDataException>(() => HnswIndex.Load(new MemoryStream(Bytes(exact))));
    }
}
