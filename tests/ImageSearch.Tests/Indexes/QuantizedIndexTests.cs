namespace ImageSearch.Tests.Indexes;

/// <summary>
/// Int8 storage: the bounded exact scan (Int8 with f32 rows) against the f32 scan (identical results), Int8 alone against
/// exact search (recall), persistence and validation.
/// </summary>
public class QuantizedIndexTests
{
    public static TheoryData<DistanceMetric> Metrics => new(DistanceMetric.Cosine, DistanceMetric.InnerProduct, DistanceMetric.SquaredL2);

    private static void AssertIdentical(SearchResult[] expected, SearchResult[] actual, string context)
    {
        Assert.True(expected.Length == actual.Length, $"{context}: {expected.Length} results expected, got {actual.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            // Same key and bit-identical distance, in the same order.
            Assert.True(expected[i].Key == actual[i].Key && BitConverter.SingleToInt32Bits(expected[i].Distance) == BitConverter.SingleToInt32Bits(actual[i].Distance),
                $"{context}: result {i} expected ({expected[i].Key}, {expected[i].Distance:R}), got ({actual[i].Key}, {actual[i].Distance:R})");
        }
    }

    private static SearchResult[] Search(IVectorIndex index, ReadOnlySpan<float> query, int k)
    {
        var results = new SearchResult[k];
        int n = index.Search(query, results);
        return results[..n];
    }

    /// <summary>Both indexes get the same rows; returns the queries (some equal to stored rows).</summary>
    private static float[] Fill(IVectorIndex a, IVectorIndex b, float[] rows, int dim, int queryCount, Random random)
    {
        int n = rows.Length / dim;
        long[] keys = Enumerable.Range(0, n).Select(i => (i * 7919L) - 5000).ToArray();
        a.AddRange(keys, rows);
        b.AddRange(keys, rows);
        var queries = new float[queryCount * dim];
        for (int i = 0; i < queryCount; i++)
        {
            if (i % 3 == 0)
            {
                rows.AsSpan(random.Next(n) * dim, dim).CopyTo(queries.AsSpan(i * dim, dim));
            }
            else
            {
                NaiveReference.RandomVectors(random, 1, dim).CopyTo(queries.AsSpan(i * dim, dim));
            }
        }

        return queries;
    }

    private static void AssertSameSearches(IVectorIndex f32, IVectorIndex i8, float[] queries, int dim, string context)
    {
        int nq = queries.Length / dim;
        foreach (int k in new[] { 1, 10, 57 })
        {
            for (int i = 0; i < nq; i++)
            {
                AssertIdentical(Search(f32, queries.AsSpan(i * dim, dim), k), Search(i8, queries.AsSpan(i * dim, dim), k), $"{context} k={k} query {i}");
            }

            SearchResult[][] expected = f32.SearchBatch(queries, k), actual = i8.SearchBatch(queries, k);
            for (int i = 0; i < nq; i++)
            {
                AssertIdentical(expected[i], actual[i], $"{context} batch k={k} query {i}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void BoundedScanEqualsFloat32ScanOnRandomData(DistanceMetric metric)
    {
        // d = 300: 2048 rows per page, so 4999 rows make three pages, the last with a tail of 7 rows outside the groups of 8.
        const int dim = 300, count = 4999;
        var random = new Random(7);
        var f32 = new ExactIndex(dim, metric, VectorElementType.Float32);
        var i8 = new ExactIndex(dim, metric, VectorElementType.Int8, keepFloat32Rows: true);
        float[] queries = Fill(f32, i8, NaiveReference.RandomVectors(random, count, dim), dim, 12, random);
        AssertSameSearches(f32, i8, queries, dim, metric.ToString());

        // Removed rows, reused slots, and rows far outside the trained range (clamped codes, large residuals).
        for (long key = -5000; key < 2000; key += 7919L * 3)
        {
            Assert.True(f32.Remove(key));
            Assert.True(i8.Remove(key));
        }

        float[] outside = NaiveReference.RandomVectors(random, 40, dim);
        for (int j = 0; j < outside.Length; j++)
        {
            outside[j] *= 25;
        }

        long[] newKeys = Enumerable.Range(0, 40).Select(i => 10_000_000L + i).ToArray();
        f32.AddRange(newKeys, outside);
        i8.AddRange(newKeys, outside);
        outside.AsSpan(0, dim).CopyTo(queries);
        AssertSameSearches(f32, i8, queries, dim, metric + " after changes");
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void BoundedScanEqualsFloat32ScanWithTiesAndDuplicates(DistanceMetric metric)
    {
        // Small integer values: many rows at exactly the same distance, and every vector stored three times under
        // different keys, so the tie order (by key) decides which of them make the top k.
        const int dim = 37, distinct = 700;
        var random = new Random(11);
        var rows = new float[distinct * 3 * dim];
        for (int i = 0; i < distinct; i++)
        {
            for (int j = 0; j < dim; j++)
            {
                rows[(i * dim) + j] = random.Next(-2, 3) + (j == 0 ? 10 : 0);
            }

            rows.AsSpan(i * dim, dim).CopyTo(rows.AsSpan((distinct + i) * dim, dim));
            rows.AsSpan(i * dim, dim).CopyTo(rows.AsSpan(((2 * distinct) + i) * dim, dim));
        }

        var f32 = new ExactIndex(dim, metric, VectorElementType.Float32);
        var i8 = new ExactIndex(dim, metric, VectorElementType.Int8, keepFloat32Rows: true);
        float[] queries = Fill(f32, i8, rows, dim, 9, random);
        for (int j = 0; j < dim; j++)
        {
            queries[(2 * dim) + j] = MathF.Round(queries[(2 * dim) + j] * 2);
        }

        AssertSameSearches(f32, i8, queries, dim, metric.ToString());
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void FilteredWeightedAndCompactedSearchesEqualFloat32(DistanceMetric metric)
    {
        const int dim = 24, count = 1500;
        var random = new Random(17);
        var f32 = new ExactIndex(dim, metric, VectorElementType.Float32);
        var i8 = new ExactIndex(dim, metric, VectorElementType.Int8, keepFloat32Rows: true);
        float[] queries = Fill(f32, i8, NaiveReference.RandomVectors(random, count, dim), dim, 6, random);
        var weights = new float[dim];
        for (int j = 0; j < dim; j++)
        {
            weights[j] = 0.5f + (j % 3);
        }

        var filtered = new SearchOptions { Filter = key => key % 3 != 0 };
        var weighted = new SearchOptions { ElementWeights = weights };
        for (int i = 0; i < 6; i++)
        {
            foreach (SearchOptions options in new[] { filtered, weighted })
            {
                var expected = new SearchResult[10];
                var actual = new SearchResult[10];
                int n = f32.Search(queries.AsSpan(i * dim, dim), expected, options);
                Assert.Equal(n, i8.Search(queries.AsSpan(i * dim, dim), actual, options));
                AssertIdentical(expected[..n], actual[..n], $"{metric} options query {i}");
            }
        }

        for (long key = -5000; key < 5_000_000; key += 7919L * 2)
        {
            f32.Remove(key);
            i8.Remove(key);
        }

        f32.Compact();
        i8.Compact();
        Assert.Equal(0, i8.DeletedCount);
        AssertSameSearches(f32, i8, queries, dim, metric + " compacted");
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void BoundedScanEqualsFloat32ScanWithHugeRows(DistanceMetric metric)
    {
        // Rows whose squares overflow f32 (infinite f32 distances, infinite bound terms) next to ordinary ones.
        const int dim = 20, count = 300;
        var random = new Random(29);
        float[] rows = NaiveReference.RandomVectors(random, count, dim);
        for (int i = 0; i < count; i += 10)
        {
            for (int j = 0; j < dim; j++)
            {
                rows[(i * dim) + j] *= 1e20f;
            }
        }

        var f32 = new ExactIndex(dim, metric, VectorElementType.Float32);
        var i8 = new ExactIndex(dim, metric, VectorElementType.Int8, keepFloat32Rows: true);
        float[] queries = Fill(f32, i8, rows, dim, 6, random);
        foreach (int k in new[] { 5, count })
        {
            for (int i = 0; i < 6; i++)
            {
                AssertIdentical(Search(f32, queries.AsSpan(i * dim, dim), k), Search(i8, queries.AsSpan(i * dim, dim), k), $"{metric} k={k} query {i}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void Int8AloneKeepsRecallOfExactSearch(DistanceMetric metric)
    {
        const int dim = 64, count = 3000, k = 10;
        var random = new Random(5);
        var f32 = new ExactIndex(dim, metric, VectorElementType.Float32);
        var i8 = new ExactIndex(dim, metric, VectorElementType.Int8);
        var hnsw = new HnswIndex(dim, metric, new HnswOptions { ElementType = VectorElementType.Int8, Ef = 100 });
        float[] rows = NaiveReference.RandomVectors(random, count, dim);
        float[] queries = Fill(f32, i8, rows, dim, 50, random);
        hnsw.AddRange(Enumerable.Range(0, count).Select(i => (i * 7919L) - 5000).ToArray(), rows);
        int hitsExact = 0, hitsHnsw = 0;
        for (int i = 0; i < 50; i++)
        {
            var truth = Search(f32, queries.AsSpan(i * dim, dim), k).Select(r => r.Key).ToHashSet();
            hitsExact += Search(i8, queries.AsSpan(i * dim, dim), k).Count(r => truth.Contains(r.Key));
            hitsHnsw += Search(hnsw, queries.AsSpan(i * dim, dim), k).Count(r => truth.Contains(r.Key));
        }

        Assert.True(hitsExact >= 0.95 * 50 * k, $"Int8 exact recall@10 {hitsExact / 500.0}");
        Assert.True(hitsHnsw >= 0.90 * 50 * k, $"Int8 HNSW recall@10 {hitsHnsw / 500.0}");
    }

    [Theory]
    [MemberData(nameof(Metrics))]
    public void HnswInt8TraversalWithRerankKeepsFloat32Recall(DistanceMetric metric)
    {
        // Graphs of the same rows (one thread, same seed; the Int8 one's links chosen on f32 distances), the Int8 one
        // traversed on codes and re-ranked on f32: recall@10 within 0.005 of the f32 index at equal ef, and every
        // distance the f32 one.
        const int dim = 48, count = 3000, queryCount = 200, k = 10;
        var random = new Random(3);
        var options = new HnswOptions { M = 8, EfConstruction = 80 };
        var f32 = new HnswIndex(dim, metric, options) { MaxDegreeOfParallelism = 1 };
        var i8 = new HnswIndex(dim, metric, options with { ElementType = VectorElementType.Int8, KeepFloat32Rows = true }) { MaxDegreeOfParallelism = 1 };
        var exact = new ExactIndex(dim, metric);
        float[] rows = NaiveReference.RandomVectors(random, count, dim);
        float[] queries = Fill(f32, i8, rows, dim, queryCount, random);
        exact.AddRange(Enumerable.Range(0, count).Select(i => (i * 7919L) - 5000).ToArray(), rows);
        foreach (int ef in new[] { 20, 60 })
        {
            int hitsF32 = 0, hitsI8 = 0;
            var search = new SearchOptions { Ef = ef };
            for (int i = 0; i < queryCount; i++)
            {
                ReadOnlySpan<float> q = queries.AsSpan(i * dim, dim);
                var truth = Search(exact, q, k).Select(r => r.Key).ToHashSet();
                var a = new SearchResult[k];
                var b = new SearchResult[k];
                int na = f32.Search(q, a, search), nb = i8.Search(q, b, search);
                hitsF32 += a.Take(na).Count(r => truth.Contains(r.Key));
                hitsI8 += b.Take(nb).Count(r => truth.Contains(r.Key));
                var exactDistances = Search(exact, q, 200).ToDictionary(r => r.Key, r => r.Distance);
                foreach (SearchResult r in b.Take(nb))
                {
                    if (exactDistances.TryGetValue(r.Key, out float d))
                    {
                        Assert.True(Math.Abs(d - r.Distance) <= 1e-5 * (1 + Math.Abs(d)), $"{metric} ef {ef} query {i} key {r.Key}: {r.Distance} is not the f32 distance {d}");
                    }
                }
            }

            double recallF32 = hitsF32 / (double)(queryCount * k), recallI8 = hitsI8 / (double)(queryCount * k);
            Assert.True(recallI8 >= recallF32 - 0.005, $"{metric} ef {ef}: Int8 traversal + f32 re-rank recall@10 {recallI8:F4}, f32 {recallF32:F4}");
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void SavedInt8IndexesLoadWithTheSameResults(bool keepFloat32Rows, bool hnsw)
    {
        const int dim = 40, count = 900;
        var random = new Random(21);
        IVectorIndex index = hnsw
            ? new HnswIndex(dim, DistanceMetric.SquaredL2, new HnswOptions { ElementType = VectorElementType.Int8, KeepFloat32Rows = keepFloat32Rows })
            : new ExactIndex(dim, DistanceMetric.SquaredL2, VectorElementType.Int8, keepFloat32Rows);
        float[] rows = NaiveReference.RandomVectors(random, count, dim);
        index.AddRange(Enumerable.Range(0, count).Select(i => (long)i).ToArray(), rows);
        index.Remove(5);
        var stream = new MemoryStream();
        index.Save(stream);
        stream.Position = 0;
        IVectorIndex loaded = VectorIndex.Load(stream);
        Assert.Equal(VectorElementType.Int8, loaded.ElementType);
        Assert.Equal(keepFloat32Rows, hnsw ? ((HnswIndex)loaded).KeepFloat32Rows : ((ExactIndex)loaded).KeepFloat32Rows);
        float[] queries = NaiveReference.RandomVectors(random, 10, dim);
        for (int i = 0; i < 10; i++)
        {
            AssertIdentical(Search(index, queries.AsSpan(i * dim, dim), 10), Search(loaded, queries.AsSpan(i * dim, dim), 10), $"query {i}");
        }

        // Saving the loaded index gives the same bytes; a later add (clamped to the loaded range) works.
        var again = new MemoryStream();
        loaded.Save(again);
        Assert.Equal(stream.ToArray(), again.ToArray());
        loaded.Add(10_000, NaiveReference.RandomVectors(random, 1, dim));
        Assert.Equal(count, loaded.Count);
    }

    [Fact]
    public void EmptyInt8IndexSavesAndLoads()
    {
        var index = new ExactIndex(8, DistanceMetric.Cosine, VectorElementType.Int8, keepFloat32Rows: true);
        var stream = new MemoryStream();
        index.Save(stream);
        stream.Position = 0;
        var loaded = ExactIndex.Load(stream);
        Assert.Equal(0, loaded.Count);
        Assert.Equal(0, loaded.Search(new float[8] { 1, 0, 0, 0, 0, 0, 0, 0 }, new SearchResult[3]));
        loaded.Add(1, [1, 2, 3, 4, 5, 6, 7, 8]);
        Assert.Equal(1, loaded.Search(new float[8] { 1, 0, 0, 0, 0, 0, 0, 0 }, new SearchResult[3]));
    }

    [Fact]
    public void Version1FilesStillLoad()
    {
        var index = new ExactIndex(4, DistanceMetric.InnerProduct);
        index.Add(3, [1, 2, 3, 4]);
        var stream = new MemoryStream();
        index.Save(stream);
        byte[] bytes = stream.ToArray();
        Assert.Equal(2, BitConverter.ToUInt16(bytes, 8));
        bytes[8] = 1; // a version-1 file differs only in its version field (and so the header checksum)
        BitConverter.GetBytes(Crc32C.Compute(bytes.AsSpan(0, 44))).CopyTo(bytes, 44);
        IVectorIndex loaded = VectorIndex.Load(new MemoryStream(bytes));
        Assert.True(loaded.Contains(3));

        // Version 1 had no Int8: a version-1 header claiming it is refused.
        var i8 = new ExactIndex(4, DistanceMetric.InnerProduct, VectorElementType.Int8);
        i8.Add(3, [1, 2, 3, 4]);
        stream = new MemoryStream();
        i8.Save(stream);
        bytes = stream.ToArray();
        bytes[8] = 1;
        BitConverter.GetBytes(Crc32C.Compute(bytes.AsSpan(0, 44))).CopyTo(bytes, 44);
        Assert.Throws<InvalidDataException>(() => VectorIndex.Load(new MemoryStream(bytes)));
    }

    [Fact]
    public void KeepingFloat32RowsNeedsInt8()
    {
        Assert.Equal("keepFloat32Rows", Assert.Throws<ArgumentException>(() => new ExactIndex(4, DistanceMetric.Cosine, VectorElementType.Float16, keepFloat32Rows: true)).ParamName);
        Assert.Equal("KeepFloat32Rows", Assert.Throws<ArgumentException>(() => new HnswIndex(4, DistanceMetric.Cosine, new HnswOptions { KeepFloat32Rows = true })).ParamName);
    }

    [Theory]
    [InlineData(DistanceMetric.SquaredL2, true)]
    [InlineData(DistanceMetric.SquaredL2, false)]
    [InlineData(DistanceMetric.Cosine, true)]
    public void AnInt8HnswWithRemovedRowsSearchesAfterLoadingAsBeforeSaving(DistanceMetric metric, bool keepFloat32Rows)
    {
        // Removed rows still route the graph; under squared L2 their norms enter the 8-bit traversal distance, so a load
        // that restored the norms of live rows only sent searches another way.
        const int dim = 64, count = 2000;
        var random = new Random(4);
        var index = new HnswIndex(dim, metric, new HnswOptions { M = 4, EfConstruction = 16, ElementType = VectorElementType.Int8, KeepFloat32Rows = keepFloat32Rows });
        index.MaxDegreeOfParallelism = 1;
        float[] rows = NaiveReference.RandomVectors(random, count, dim);
        index.AddRange(Enumerable.Range(0, count).Select(i => (long)i).ToArray(), rows);
        for (int i = 0; i < count; i += 20)
        {
            index.Remove(i);
        }

        using var file = new MemoryStream();
        index.Save(file);
        file.Position = 0;
        IVectorIndex loaded = VectorIndex.Load(file);
        float[] queries = NaiveReference.RandomVectors(random, 40, dim);
        for (int q = 0; q < 40; q++)
        {
            ReadOnlySpan<float> query = queries.AsSpan(q * dim, dim);
            AssertIdentical(Search(index, query, 20), Search(loaded, query, 20), $"query {q}");
        }
    }
}
