namespace ImageSearch.Orleans.Tests;

/// <summary>A distributed index answers as one index: exact shards bit for bit, HNSW shards with at least the recall of one HNSW.</summary>
[Collection(ClusterCollection.Name)]
public class DistributedSearchTests(ClusterFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private const int Dim = 12;

    [Theory]
    [InlineData(DistanceMetric.Cosine, VectorElementType.Float32, 3)]
    [InlineData(DistanceMetric.SquaredL2, VectorElementType.Float16, 4)]
    [InlineData(DistanceMetric.InnerProduct, VectorElementType.Float32, 1)]
    public async Task ExactShardsEqualOneExactIndexBitForBit(DistanceMetric metric, VectorElementType elementType, int shards)
    {
        const int N = 1500;
        long[] keys = Data.Keys(N);
        float[] vectors = Data.Vectors(N, Dim, seed: 1);
        var local = new ExactIndex(Dim, metric, elementType);
        local.AddRange(keys, vectors);
        var index = await DistributedIndex.CreateAsync(fixture.Grains, Data.NewName("exact"),
            new DistributedIndexOptions { ShardCount = shards, Dimension = Dim, Metric = metric, Kind = DistributedIndexKind.Exact, ElementType = elementType },
            new DistributedIndexClientOptions { AddBatchSize = 200 });
        await index.AddRangeAsync(keys, vectors);
        Assert.Equal(N, await index.CountAsync());

        // Queries include stored vectors (exact ties with their duplicates) and fresh ones.
        float[] queries = [.. vectors.AsSpan(0, 10 * Dim), .. Data.Vectors(10, Dim, seed: 2, duplicateEvery: 0)];
        DistributedSearchResult[] batch = await index.SearchBatchAsync(queries, 15);
        SearchResult[][] expectedBatch = local.SearchBatch(queries, 15);
        for (int q = 0; q < 20; q++)
        {
            Assert.Equal(expectedBatch[q], batch[q].Results);
            var expected = new SearchResult[15];
            int n = local.Search(queries.AsSpan(q * Dim, Dim), expected);
            DistributedSearchResult one = await index.SearchAsync(queries.AsMemory(q * Dim, Dim), 15);
            Assert.Equal(expected.AsSpan(0, n).ToArray(), one.Results);
            Assert.False(one.IsPartial);
        }

        // Filtered: only keys divisible by 4 (each shard gets its own share of the list).
        long[] allowed = [.. keys.Where(k => k % 4 == 0)];
        var filter = new HashSet<long>(allowed);
        var filtered = new SearchResult[8];
        int m = local.Search(queries.AsSpan(0, Dim), filtered, new SearchOptions { Filter = filter.Contains });
        DistributedSearchResult got = await index.SearchAsync(queries.AsMemory(0, Dim), 8, new DistributedSearchOptions { AllowedKeys = allowed });
        Assert.Equal(filtered.AsSpan(0, m).ToArray(), got.Results);
        Assert.All(got.Results, r => Assert.Contains(r.Key, filter));
    }

    [Fact]
    public async Task RemovesAndLookupsActAsOneIndex()
    {
        long[] keys = Data.Keys(300);
        float[] vectors = Data.Vectors(300, Dim, seed: 3);
        var local = new ExactIndex(Dim, DistanceMetric.SquaredL2);
        local.AddRange(keys, vectors);
        var index = await DistributedIndex.CreateAsync(fixture.Grains, Data.NewName("remove"),
            new DistributedIndexOptions { ShardCount = 3, Dimension = Dim, Metric = DistanceMetric.SquaredL2, Kind = DistributedIndexKind.Exact });
        await index.AddRangeAsync(keys, vectors);
        long[] gone = [.. keys.Where((_, i) => i % 3 == 0)];
        foreach (long k in gone)
        {
            local.Remove(k);
        }

        Assert.Equal(gone.Length, await index.RemoveRangeAsync(gone.Append(999_999)));
        Assert.False(await index.RemoveAsync(gone[0]));
        Assert.True(await index.RemoveAsync(keys[1]));
        local.Remove(keys[1]);
        Assert.Equal(local.Count, await index.CountAsync());
        Assert.False(await index.ContainsAsync(keys[1]));
        Assert.True(await index.ContainsAsync(keys[2]));
        IReadOnlySet<long> present = await index.ContainsManyAsync(keys);
        Assert.Equal(local.GetKeys().Order(), present.Order());

        var expected = new SearchResult[10];
        int n = local.Search(vectors.AsSpan(0, Dim), expected);
        Assert.Equal(expected.AsSpan(0, n).ToArray(), (await index.SearchAsync(vectors.AsMemory(0, Dim), 10)).Results);

        // A duplicate of an existing key is refused by its shard; the batch changes nothing there.
        await Assert.ThrowsAsync<ArgumentException>(() => index.AddAsync(keys[2], vectors.AsMemory(0, Dim)));
        await Assert.ThrowsAsync<ArgumentException>(() => index.AddRangeAsync(new long[] { 5, 5 }, new float[2 * Dim]));
        await Assert.ThrowsAsync<ArgumentException>(() => index.SearchAsync(new float[Dim + 1], 3));
        Assert.Equal(local.Count, await index.CountAsync());
    }

    [Fact]
    public async Task HnswShardsRecallAtLeastOneHnswAtEqualEf()
    {
        const int N = 4000, Dim32 = 32, K = 10, Ef = 12;
        long[] keys = Data.Keys(N);
        float[] vectors = Data.Vectors(N, Dim32, seed: 4, duplicateEvery: 0);
        float[] queries = Data.Vectors(100, Dim32, seed: 5, duplicateEvery: 0);
        var options = new HnswOptions { M = 6, EfConstruction = 40, Ef = Ef };
        var exact = new ExactIndex(Dim32, DistanceMetric.Cosine);
        exact.AddRange(keys, vectors);
        var single = new HnswIndex(Dim32, DistanceMetric.Cosine, options);
        single.AddRange(keys, vectors);
        var index = await DistributedIndex.CreateAsync(fixture.Grains, Data.NewName("hnsw"),
            new DistributedIndexOptions { ShardCount = 3, Dimension = Dim32, Kind = DistributedIndexKind.Hnsw, Hnsw = options });
        await index.AddRangeAsync(keys, vectors);

        SearchResult[][] truth = exact.SearchBatch(queries, K);
        SearchResult[][] one = single.SearchBatch(queries, K, new SearchOptions { Ef = Ef });
        DistributedSearchResult[] many = await index.SearchBatchAsync(queries, K, new DistributedSearchOptions { Ef = Ef });
        double Recall(Func<int, IEnumerable<long>> got) => Enumerable.Range(0, truth.Length)
            .Average(q => got(q).Intersect(truth[q].Select(r => r.Key)).Count() / (double)K);
        double singleRecall = Recall(q => one[q].Select(r => r.Key));
        double shardedRecall = Recall(q => many[q].Results.Select(r => r.Key));
        output.WriteLine($"recall@{K} at ef {Ef}: one HNSW {singleRecall:F3}, 3 HNSW shards {shardedRecall:F3}");
        Assert.True(singleRecall < 1, $"the test needs an ef low enough to miss some neighbours (single recall {singleRecall})");
        Assert.True(shardedRecall >= singleRecall, $"sharded recall {shardedRecall} < single HNSW recall {singleRecall} at ef {Ef}");
    }
}
