
namespace ImageSearch.Tests.Hnsw;

/// <summary>One 20k x 32 build shared by the read-only tests.</summary>
public sealed class RandomIndexFixture
{
    public const int Count = 20_000;
    public const int Dim = 32;

    public RandomIndexFixture()
    {
        (Hnsw, Exact) = HnswTestData.Build(Count, Dim, seed: 1);
        Queries = HnswTestData.Random(99, 200, Dim);
    }

    public HnswIndex Hnsw { get; }

    public ExactIndex Exact { get; }

    public float[] Queries { get; }
}

public class HnswIndexTests(RandomIndexFixture data) : IClassFixture<RandomIndexFixture>
{
    [Fact]
    public void RecallOnRandomVectorsAtEf128()
    {
        double recall = HnswTestData.Recall(data.Hnsw, data.Exact, data.Queries, 10, new SearchOptions { Ef = 128 });
        Assert.True(recall >= 0.95, $"recall@10 {recall:F3} at ef 128 (M 16, efC 100, 20k x 32 random)");
        Assert.Equal(RandomIndexFixture.Count, data.Hnsw.Count);
    }

    [Fact]
    public void LargerEfDoesNotLowerRecall()
    {
        double low = HnswTestData.Recall(data.Hnsw, data.Exact, data.Queries, 10, new SearchOptions { Ef = 10 });
        double high = HnswTestData.Recall(data.Hnsw, data.Exact, data.Queries, 10, new SearchOptions { Ef = 400 });
        Assert.True(high >= low, $"ef 10: {low:F3}, ef 400: {high:F3}");
        Assert.True(high >= 0.99, $"ef 400: {high:F3}");
    }

    [Fact]
    public void DistancesAreTheMetricsDistances()
    {
        var rng = new Random(5);
        float[] q = HnswTestData.Random(6, 1, RandomIndexFixture.Dim);
        SearchResult[] got = data.Hnsw.Search(q, 10, new SearchOptions { Ef = 200 });
        SearchResult[] exact = data.Exact.Search(q, 10);
        Assert.Equal(exact[0].Key, got[0].Key);
        Assert.Equal(exact[0].Distance, got[0].Distance, 1e-5);
        var v = new float[RandomIndexFixture.Dim];
        Assert.True(data.Hnsw.TryGetVector(got[3].Key, v));
        float[] nq = NormalisedCopy(q);
        Assert.Equal(1 - DistanceKernels.Dot(nq, v), got[3].Distance, 1e-5);
        _ = rng;
    }

    [Fact]
    public void BatchEqualsSingleSearches()
    {
        var opts = new SearchOptions { Ef = 64 };
        SearchResult[][] batch = data.Hnsw.SearchBatch(data.Queries.AsSpan(0, 50 * RandomIndexFixture.Dim), 10, opts);
        Assert.Equal(50, batch.Length);
        for (int i = 0; i < 50; i++)
        {
            SearchResult[] single = data.Hnsw.Search(data.Queries.AsSpan(i * RandomIndexFixture.Dim, RandomIndexFixture.Dim), 10, opts);
            Assert.Equal(single, batch[i]);
        }
    }

    [Fact]
    public void FilterAtTenPercentKeepsRecallAndOnlyReturnsAllowedKeys()
    {
        // Keys are (i * 7 - 1000): i % 10 == 3 selects 10 % of them, spread over the graph.
        Func<long, bool> filter = key => ((key + 1000) / 7) % 10 == 3;
        var opts = new SearchOptions { Ef = 128, Filter = filter };
        double recall = HnswTestData.Recall(data.Hnsw, data.Exact, data.Queries, 10, opts);
        Assert.True(recall >= 0.95, $"recall@10 {recall:F3} with a 10 % filter at ef 128");
        foreach (SearchResult r in data.Hnsw.Search(data.Queries.AsSpan(0, RandomIndexFixture.Dim), 10, opts))
        {
            Assert.True(filter(r.Key));
        }
    }

    [Fact]
    public void VerySelectiveFilterFallsBackToExactScan()
    {
        // 25 allowed keys out of 20,000 (0.125 %): below the 3 % threshold, so answers are exact.
        long[] allowed = HnswTestData.Keys(RandomIndexFixture.Count).Where((_, i) => i % 800 == 17).ToArray();
        var set = new HashSet<long>(allowed);
        var opts = new SearchOptions { Filter = set.Contains, Ef = 16 };
        for (int i = 0; i < 20; i++)
        {
            ReadOnlySpan<float> q = data.Queries.AsSpan(i * RandomIndexFixture.Dim, RandomIndexFixture.Dim);
            SearchResult[] expected = data.Exact.Search(q, 10, new SearchOptions { Filter = set.Contains });
            SearchResult[] got = data.Hnsw.Search(q, 10, opts);
            Assert.Equal(expected.Select(r => r.Key), got.Select(r => r.Key));
            for (int j = 0; j < got.Length; j++)
            {
                Assert.Equal(expected[j].Distance, got[j].Distance, 1e-5); // kernels may sum in another order
            }
        }

        // A filter that admits nothing returns nothing.
        Assert.Empty(data.Hnsw.Search(data.Queries.AsSpan(0, RandomIndexFixture.Dim), 10, new SearchOptions { Filter = _ => false }));
    }

    [Fact]
    public void ElementWeightsAnswerExactlyLikeTheExactIndex()
    {
        var w = new float[RandomIndexFixture.Dim];
        for (int i = 0; i < w.Length; i++)
        {
            w[i] = i % 3 == 0 ? 2f : 0.5f;
        }

        var opts = new SearchOptions { ElementWeights = w };
        for (int i = 0; i < 5; i++)
        {
            ReadOnlySpan<float> q = data.Queries.AsSpan(i * RandomIndexFixture.Dim, RandomIndexFixture.Dim);
            SearchResult[] expected = data.Exact.Search(q, 10, opts);
            SearchResult[] got = data.Hnsw.Search(q, 10, opts);
            Assert.Equal(expected.Select(r => r.Key), got.Select(r => r.Key));
        }
    }

    [Fact]
    public void BadInputIsRejectedAndLeavesTheIndexUnchanged()
    {
        var index = new HnswIndex(4, DistanceMetric.Cosine);
        index.AddRange([1, 2], [1, 0, 0, 0, 0, 1, 0, 0]);
        Assert.Throws<ArgumentException>("vector", () => index.Add(3, [1, 2, 3]));
        Assert.Throws<ArgumentException>("vectors", () => index.AddRange([3, 4], [1, 2, 3, 4, 0, 0, 0, 0])); // zero row
        Assert.Throws<ArgumentException>("vectors", () => index.AddRange([3, 4], [1, 2, 3, 4, 1, float.NaN, 0, 0]));
        Assert.Throws<ArgumentException>("vector", () => index.Add(3, [0, 0, 0, 0]));
        Assert.Throws<ArgumentException>("key", () => index.Add(2, [1, 1, 1, 1]));
        Assert.Throws<ArgumentException>("keys", () => index.AddRange([5, 5], [1, 1, 1, 1, 1, 2, 1, 1]));
        Assert.Equal(2, index.Count);
        Assert.False(index.Contains(3) || index.Contains(4) || index.Contains(5));
        Assert.Equal(2, index.Search([1, 1, 1, 1], 10).Length);

        Assert.Throws<ArgumentException>("query", () => index.Search([1, 1, 1], 1));
        Assert.Throws<ArgumentException>("query", () => index.Search([1, float.PositiveInfinity, 1, 1], 1));
        Assert.Throws<ArgumentException>("query", () => index.Search([0, 0, 0, 0], 1));
        Assert.Throws<ArgumentOutOfRangeException>("k", () => index.Search([1, 1, 1, 1], 0));
        Assert.Throws<ArgumentException>("destination", () => index.Search([1, 1, 1, 1], Span<SearchResult>.Empty));
        Assert.Throws<ArgumentOutOfRangeException>("options", () => index.Search([1, 1, 1, 1], 1, new SearchOptions { Ef = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>("k", () => index.SearchBatch([1, 1, 1, 1], 0));
        Assert.Throws<ArgumentException>("queries", () => index.SearchBatch([1, 1, 1, 1, 1], 1));
        Assert.Throws<ArgumentOutOfRangeException>("M", () => new HnswIndex(4, DistanceMetric.Cosine, new HnswOptions { M = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>("dimension", () => new HnswIndex(0));
    }

    [Fact]
    public void EmptyAndTinyIndexesAnswer()
    {
        var index = new HnswIndex(3, DistanceMetric.SquaredL2);
        Assert.Empty(index.Search([1, 2, 3], 5));
        index.Add(42, [1, 2, 3]);
        SearchResult[] r = index.Search([1, 2, 4], 5);
        Assert.Single(r);
        Assert.Equal(new SearchResult(42, 1f), r[0]);
        Assert.True(index.Remove(42));
        Assert.Empty(index.Search([1, 2, 4], 5));
        Assert.False(index.Remove(42));
        index.Add(42, [3, 2, 1]); // a removed key may be added again
        Assert.Equal(42, index.Search([1, 2, 4], 5).Single().Key);
    }

    [Theory]
    [InlineData(DistanceMetric.SquaredL2, VectorElementType.Float32)]
    [InlineData(DistanceMetric.InnerProduct, VectorElementType.Float32)]
    [InlineData(DistanceMetric.Cosine, VectorElementType.Float16)]
    public void OtherMetricsAndFloat16Work(DistanceMetric metric, VectorElementType type)
    {
        const int n = 3000, dim = 16;
        float[] rows = HnswTestData.Random(3, n, dim);
        long[] keys = HnswTestData.Keys(n);
        var hnsw = new HnswIndex(dim, metric, new HnswOptions { EfConstruction = 100, ElementType = type });
        hnsw.AddRange(keys, rows);
        var exact = new ExactIndex(dim, metric, type);
        exact.AddRange(keys, rows);
        // Inner product is not a metric; HNSW is routinely used with it but recall is lower.
        double min = metric == DistanceMetric.InnerProduct ? 0.85 : 0.97;
        double recall = HnswTestData.Recall(hnsw, exact, HnswTestData.Random(4, 50, dim), 10, new SearchOptions { Ef = 100 });
        Assert.True(recall >= min, $"{metric}/{type}: recall@10 {recall:F3}");
    }

    [Fact]
    public void SingleThreadedBuildsWithTheSameSeedAreIdentical()
    {
        const int n = 3000, dim = 16;
        float[] rows = HnswTestData.Random(8, n, dim);
        long[] keys = HnswTestData.Keys(n);
        byte[] Build(int seed)
        {
            var index = new HnswIndex(dim, DistanceMetric.Cosine, new HnswOptions { Seed = seed, EfConstruction = 50 }) { MaxDegreeOfParallelism = 1 };
            index.AddRange(keys.AsSpan(0, 1000), rows.AsSpan(0, 1000 * dim));
            for (int i = 1000; i < n; i++)
            {
                index.Add(keys[i], rows.AsSpan(i * dim, dim));
            }

            var ms = new MemoryStream();
            index.Save(ms);
            return ms.ToArray();
        }

        byte[] a = Build(7), b = Build(7), c = Build(8);
        Assert.Equal(a, b);          // same seed: byte-identical graph
        Assert.NotEqual(a, c);       // another seed: other levels, other links
    }

    [Fact]
    public void RemovingThirtyPercentThenAddingKeepsRecall()
    {
        const int n = 6_000, dim = 32;
        var (hnsw, exact) = HnswTestData.Build(n, dim, seed: 11, options: new HnswOptions { EfConstruction = 64 });
        long[] keys = HnswTestData.Keys(n);
        for (int i = 0; i < n; i++)
        {
            if (i % 10 < 3)
            {
                Assert.True(hnsw.Remove(keys[i]));
                Assert.True(exact.Remove(keys[i]));
            }
        }

        Assert.Equal(4200, hnsw.Count);
        Assert.Equal(1800, hnsw.DeletedCount);
        long[] more = HnswTestData.Keys(1800, offset: 1_000_000);
        float[] moreRows = HnswTestData.Random(12, 1800, dim);
        hnsw.AddRange(more, moreRows);
        exact.AddRange(more, moreRows);
        float[] queries = HnswTestData.Random(13, 100, dim);
        var opts = new SearchOptions { Ef = 128 };
        double recall = HnswTestData.Recall(hnsw, exact, queries, 10, opts);
        Assert.True(recall >= 0.95, $"recall@10 {recall:F3} after removing 30 % and adding 1,800");
        foreach (SearchResult r in hnsw.Search(queries.AsSpan(0, dim), 50, opts))
        {
            Assert.True(exact.Contains(r.Key), $"removed key {r.Key} returned");
        }

        hnsw.Compact();
        Assert.Equal(0, hnsw.DeletedCount);
        Assert.Equal(6_000, hnsw.Count);
        double after = HnswTestData.Recall(hnsw, exact, queries, 10, opts);
        Assert.True(after >= 0.95, $"recall@10 {after:F3} after Compact");
        Assert.Equal(exact.GetKeys().Order(), hnsw.GetKeys().Order());
    }

    [GloveFact]
    public void RecallOnGloveSample()
    {
        const int n = 10_000, queries = 200;
        float[] rows = HnswTestData.GloveSample(n + queries, out int dim)!;
        long[] keys = HnswTestData.Keys(n);
        var hnsw = new HnswIndex(dim, DistanceMetric.Cosine, new HnswOptions { M = 16, EfConstruction = 100 });
        hnsw.AddRange(keys, rows.AsSpan(0, n * dim));
        var exact = new ExactIndex(dim, DistanceMetric.Cosine);
        exact.AddRange(keys, rows.AsSpan(0, n * dim));
        // The last 200 sampled words are the queries (held out of both indexes).
        double recall = HnswTestData.Recall(hnsw, exact, rows.AsSpan(n * dim).ToArray(), 10, new SearchOptions { Ef = 200 });
        Assert.True(recall >= 0.95, $"GloVe sample recall@10 {recall:F3} at ef 200");
    }

    private static float[] NormalisedCopy(float[] v)
    {
        double n = Math.Sqrt(v.Sum(x => (double)x * x));
        return v.Select(x => (float)(x / n)).ToArray();
    }
}
