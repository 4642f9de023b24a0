
namespace ImageSearch.Tests.Indexes;

public class ExactIndexTests
{
    public static TheoryData<DistanceMetric, VectorElementType> Kinds()
    {
        var data = new TheoryData<DistanceMetric, VectorElementType>();
        foreach (DistanceMetric m in new[] { DistanceMetric.Cosine, DistanceMetric.InnerProduct, DistanceMetric.SquaredL2 })
        {
            foreach (VectorElementType t in new[] { VectorElementType.Float32, VectorElementType.Float16 })
            {
                data.Add(m, t);
            }
        }

        return data;
    }

    private static (ExactIndex Index, Dictionary<long, float[]> Stored) Build(DistanceMetric metric, VectorElementType type, int count, int dim, int seed)
    {
        var rng = new Random(seed);
        float[] rows = NaiveReference.RandomVectors(rng, count, dim);
        var keys = new long[count];
        var stored = new Dictionary<long, float[]>();
        for (int i = 0; i < count; i++)
        {
            keys[i] = (i * 7919L) - 5000; // negative and positive keys, not in slot order
            stored[keys[i]] = NaiveReference.Stored(metric, type, rows.AsSpan(i * dim, dim));
        }

        var index = new ExactIndex(dim, metric, type);
        index.AddRange(keys, rows);
        return (index, stored);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SearchEqualsNaiveReference(DistanceMetric metric, VectorElementType type)
    {
        // dim 256 -> 4096 rows a page, so 9,000 rows span three pages, the last one partly filled.
        const int dim = 256;
        var (index, stored) = Build(metric, type, 9000, dim, seed: 1);
        double tol = type == VectorElementType.Float16 ? 1e-3 : 2e-5;
        var rng = new Random(2);
        foreach (int k in new[] { 1, 10, 100 })
        {
            float[] q = NaiveReference.RandomVectors(rng, 1, dim);
            var expected = NaiveReference.Search(metric, stored, NaiveReference.Stored(metric, VectorElementType.Float32, q), k);
            NaiveReference.AssertEqual(expected, index.Search(q, k), tol);
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void BatchEqualsSingleSearch(DistanceMetric metric, VectorElementType type)
    {
        const int dim = 100;
        var (index, stored) = Build(metric, type, 5000, dim, seed: 3);
        float[] queries = NaiveReference.RandomVectors(new Random(4), 300, dim); // more than one chunk of 256
        SearchResult[][] batch = index.SearchBatch(queries, 10);
        Assert.Equal(300, batch.Length);
        double tol = type == VectorElementType.Float16 ? 1e-3 : 2e-5;
        for (int i = 0; i < 300; i++)
        {
            var q = queries.AsSpan(i * dim, dim);
            var expected = NaiveReference.Search(metric, stored, NaiveReference.Stored(metric, VectorElementType.Float32, q), 10);
            NaiveReference.AssertEqual(expected, batch[i], tol);
        }
    }

    [Fact]
    public void TiesAreBrokenByKey()
    {
        var index = new ExactIndex(3, DistanceMetric.SquaredL2);
        float[] v = [1, 2, 3];
        foreach (long key in new long[] { 50, -3, 7, 1000, 0 })
        {
            index.Add(key, v);
        }

        index.Add(99, [1, 2, 4]);
        SearchResult[] r = index.Search(v, 4);
        Assert.Equal(new long[] { -3, 0, 7, 50 }, r.Select(x => x.Key));
        Assert.All(r, x => Assert.Equal(0f, x.Distance));
        SearchResult[] b = index.SearchBatch(v, 6)[0];
        Assert.Equal(new long[] { -3, 0, 7, 50, 1000, 99 }, b.Select(x => x.Key));
    }

    [Fact]
    public void FilterRestrictsResults()
    {
        var (index, stored) = Build(DistanceMetric.Cosine, VectorElementType.Float32, 2000, 32, seed: 5);
        float[] q = NaiveReference.RandomVectors(new Random(6), 1, 32);
        Func<long, bool> even = key => key % 2 == 0;
        var expected = NaiveReference.Search(DistanceMetric.Cosine, stored, NaiveReference.Stored(DistanceMetric.Cosine, VectorElementType.Float32, q), 20, even);
        var options = new SearchOptions { Filter = even };
        NaiveReference.AssertEqual(expected, index.Search(q, 20, options));
        NaiveReference.AssertEqual(expected, index.SearchBatch(q, 20, options)[0]);
        Assert.Empty(index.Search(q, 5, new SearchOptions { Filter = _ => false }));
    }

    [Theory]
    [InlineData(DistanceMetric.Cosine)]
    [InlineData(DistanceMetric.InnerProduct)]
    [InlineData(DistanceMetric.SquaredL2)]
    public void ClassWeightedSearchEqualsWeightedReference(DistanceMetric metric)
    {
        const int dim = 40;
        var (index, stored) = Build(metric, VectorElementType.Float32, 3000, dim, seed: 7);
        var rng = new Random(8);
        float[] w = NaiveReference.RandomVectors(rng, 1, dim);
        w[3] = 0; // zero weights are allowed, as long as not all are zero
        float[] q = NaiveReference.RandomVectors(rng, 1, dim);
        var options = new SearchOptions { ElementWeights = w };
        var expected = NaiveReference.Search(metric, stored, NaiveReference.Stored(metric, VectorElementType.Float32, q), 10, null, w);
        NaiveReference.AssertEqual(expected, index.Search(q, 10, options), 1e-4);
        NaiveReference.AssertEqual(expected, index.SearchBatch(q, 10, options)[0], 1e-4);

        // Weighting changes the answer (otherwise the test above would prove nothing).
        var plain = NaiveReference.Search(metric, stored, NaiveReference.Stored(metric, VectorElementType.Float32, q), 10);
        Assert.NotEqual(plain.Select(x => x.Key), expected.Select(x => x.Key));
    }

    [Fact]
    public void RemoveHidesKeyAndSlotIsReused()
    {
        var index = new ExactIndex(2, DistanceMetric.SquaredL2);
        index.Add(1, [0, 0]);
        index.Add(2, [1, 0]);
        index.Add(3, [5, 5]);
        Assert.True(index.Remove(1));
        Assert.False(index.Remove(1));
        Assert.False(index.Contains(1));
        Assert.Equal(2, index.Count);
        Assert.Equal(new long[] { 2, 3 }, index.Search([0, 0], 10).Select(r => r.Key));
        index.Add(4, [0.1f, 0]);
        Assert.Equal(new long[] { 4, 2, 3 }, index.Search([0, 0], 10).Select(r => r.Key));
        index.Add(1, [9, 9]); // a removed key can come back
        Assert.Equal(4, index.Count);
        Span<float> v = stackalloc float[2];
        Assert.True(index.TryGetVector(1, v));
        Assert.Equal(new float[] { 9, 9 }, v.ToArray());
        Assert.Equal(new long[] { 1, 2, 3, 4 }, index.GetKeys().Order());
    }

    [Fact]
    public void BadInputThrowsAndLeavesIndexUnchanged()
    {
        var index = new ExactIndex(3, DistanceMetric.Cosine);
        index.Add(1, [1, 2, 3]);
        SearchResult[] before = index.Search([1, 0, 0], 5);

        Assert.Equal("vector", Assert.Throws<ArgumentException>(() => index.Add(2, [1, 2])).ParamName);
        Assert.Equal("vector", Assert.Throws<ArgumentException>(() => index.Add(2, [1, float.NaN, 3])).ParamName);
        Assert.Equal("vector", Assert.Throws<ArgumentException>(() => index.Add(2, [1, float.PositiveInfinity, 3])).ParamName);
        Assert.Equal("vector", Assert.Throws<ArgumentException>(() => index.Add(2, [0, 0, 0])).ParamName);
        Assert.Equal("key", Assert.Throws<ArgumentException>(() => index.Add(1, [1, 1, 1])).ParamName);
        // A batch with one bad row or a repeated key adds nothing.
        Assert.Throws<ArgumentException>(() => index.AddRange([5, 6], [1, 1, 1, float.NaN, 0, 0]));
        Assert.Throws<ArgumentException>(() => index.AddRange([5, 5], [1, 1, 1, 2, 2, 2]));
        Assert.Throws<ArgumentException>(() => index.AddRange([5, 6], [1, 1, 1]));

        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search([1, 0, 0], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => index.Search([1, 0, 0], -1));
        Assert.Equal("query", Assert.Throws<ArgumentException>(() => index.Search([1, 0], 1)).ParamName);
        Assert.Equal("query", Assert.Throws<ArgumentException>(() => index.Search([float.NaN, 0, 0], 1)).ParamName);
        Assert.Equal("query", Assert.Throws<ArgumentException>(() => index.Search([0, 0, 0], 1)).ParamName);
        Assert.Equal("queries", Assert.Throws<ArgumentException>(() => index.SearchBatch([1, 0, 0, 1], 1)).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => index.Search([1, 0, 0], 1, new SearchOptions { ElementWeights = new float[] { 1, 2 } })).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => index.Search([1, 0, 0], 1, new SearchOptions { ElementWeights = new float[3] })).ParamName);

        Assert.Equal(1, index.Count);
        Assert.Equal(new long[] { 1 }, index.GetKeys());
        Assert.Equal(before, index.Search([1, 0, 0], 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExactIndex(0));
    }

    [Fact]
    public void Float16RejectsValuesBeyondItsRange()
    {
        var index = new ExactIndex(2, DistanceMetric.SquaredL2, VectorElementType.Float16);
        Assert.Throws<ArgumentException>(() => index.Add(1, [70000, 0]));
        Assert.Equal(0, index.Count);
    }

    [Fact]
    public void EmptyIndexReturnsNothing()
    {
        var index = new ExactIndex(4);
        Assert.Empty(index.Search([1, 2, 3, 4], 3));
        Assert.Empty(index.SearchBatch([1, 2, 3, 4], 3)[0]);
    }

    [Fact]
    public async Task SearchesRunWhileAnotherThreadAdds()
    {
        const int dim = 16;
        var index = new ExactIndex(dim, DistanceMetric.Cosine);
        float[] rows = NaiveReference.RandomVectors(new Random(9), 20000, dim);
        index.AddRange(Enumerable.Range(0, 1000).Select(i => (long)i).ToArray(), rows.AsSpan(0, 1000 * dim));
        using var done = new CancellationTokenSource();
        // Writer and readers on their own threads (LongRunning): readers spinning on pool threads can starve the pool on
        // 2 cores (see HnswConcurrencyTests).
        var writer = Task.Factory.StartNew(() =>
        {
            try
            {
                for (int i = 1000; i < 20000; i += 100)
                {
                    index.AddRange(Enumerable.Range(i, 100).Select(x => (long)x).ToArray(), rows.AsSpan(i * dim, 100 * dim));
                    if (i % 1000 == 0) index.Remove(i - 500);
                }
            }
            finally
            {
                done.Cancel(); // also when the writer fails: the readers must stop, or the failure becomes a hang
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var readers = Enumerable.Range(0, 2).Select(t => Task.Factory.StartNew(() =>
        {
            var rng = new Random(t);
            int searches = 0;
            while (!done.IsCancellationRequested || searches < 10)
            {
                float[] q = NaiveReference.RandomVectors(rng, 1, dim);
                SearchResult[] r = index.Search(q, 10);
                Assert.Equal(10, r.Length);
                Assert.All(r, x => Assert.InRange(x.Key, 0, 19999));
                for (int i = 1; i < r.Length; i++) Assert.True(r[i - 1].Distance <= r[i].Distance);
                searches++;
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
        await Task.WhenAll([writer, .. readers]);
        Assert.Equal(20000 - 19, index.Count);
    }
}
