using ImageSearch.Tests.Hnsw;

namespace ImageSearch.Tests.Indexes;

/// <summary>Progress, cancellation and parallelism of the long index operations: AddRange, SearchBatch, Compact.</summary>
public class LongOperationTests
{
    private sealed class SyncProgress(Action<IndexProgress> report) : IProgress<IndexProgress>
    {
        public List<IndexProgress> Seen { get; } = [];

        public void Report(IndexProgress value)
        {
            lock (Seen)
            {
                Seen.Add(value);
            }

            report(value);
        }
    }

    private static byte[] Bytes(IVectorIndex index)
    {
        using var ms = new MemoryStream();
        index.Save(ms);
        return ms.ToArray();
    }

    private static IVectorIndex Create(string kind, int dim) => kind == "hnsw"
        ? new HnswIndex(dim, DistanceMetric.Cosine, new HnswOptions { EfConstruction = 48 })
        : new ExactIndex(dim, DistanceMetric.Cosine);

    [Fact]
    public void HnswAddRangeCancelledMidwayKeepsKeysAndResults_LinkedVectorsBecomeTombstones()
    {
        const int dim = 16, n0 = 1000, n1 = 5000;
        float[] rows = HnswTestData.Random(31, n0 + n1, dim);
        long[] keys = HnswTestData.Keys(n0 + n1);
        var (hnsw, exact) = (new HnswIndex(dim, DistanceMetric.Cosine, new HnswOptions { EfConstruction = 48 }) { MaxDegreeOfParallelism = 2 },
            new ExactIndex(dim, DistanceMetric.Cosine));
        hnsw.AddRange(keys.AsSpan(0, n0), rows.AsSpan(0, n0 * dim));
        exact.AddRange(keys.AsSpan(0, n0), rows.AsSpan(0, n0 * dim));

        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p =>
        {
            if (p.Completed >= 1000)
            {
                cts.Cancel();
            }
        });
        Assert.ThrowsAny<OperationCanceledException>(() => hnsw.AddRange(keys.AsSpan(n0), rows.AsSpan(n0 * dim), progress, cts.Token));

        // Nothing was added: keys, count and results are those of the first thousand.
        Assert.Equal(n0, hnsw.Count);
        Assert.Equal(keys.Take(n0), hnsw.GetKeys().Order());
        Assert.DoesNotContain(keys.Skip(n0), hnsw.Contains);
        int tombstones = hnsw.DeletedCount;
        Assert.InRange(tombstones, 1000, n1 - 1); // the vectors linked before the cancellation was seen
        float[] queries = HnswTestData.Random(32, 50, dim);
        var firstKeys = keys.Take(n0).ToHashSet();
        foreach (SearchResult[] r in hnsw.SearchBatch(queries, 10, new SearchOptions { Ef = 64 }))
        {
            Assert.All(r, x => Assert.True(firstKeys.Contains(x.Key), $"key {x.Key} of the cancelled add returned"));
        }

        Assert.True(HnswTestData.Recall(hnsw, exact, queries, 10, new SearchOptions { Ef = 64 }) >= 0.95);

        // The index saves and loads (no half-linked slot is left), and the same keys can be added again.
        HnswIndex loaded = HnswIndex.Load(new MemoryStream(Bytes(hnsw)));
        Assert.Equal((n0, tombstones), (loaded.Count, loaded.DeletedCount));
        hnsw.AddRange(keys.AsSpan(n0), rows.AsSpan(n0 * dim));
        exact.AddRange(keys.AsSpan(n0), rows.AsSpan(n0 * dim));
        Assert.Equal(n0 + n1, hnsw.Count);
        Assert.True(HnswTestData.Recall(hnsw, exact, queries, 10, new SearchOptions { Ef = 64 }) >= 0.95);
        hnsw.Compact();
        Assert.Equal(0, hnsw.DeletedCount);
    }

    [Fact]
    public void HnswAddRangeCancelledOnAnEmptyIndexLeavesItEmpty_ASerialRebuildIsIdenticalToAFreshOne()
    {
        const int dim = 12, n = 1500;
        float[] rows = HnswTestData.Random(33, n, dim);
        long[] keys = HnswTestData.Keys(n);
        HnswIndex New() => new(dim, DistanceMetric.Cosine, new HnswOptions { EfConstruction = 40, Seed = 5 }) { MaxDegreeOfParallelism = 1 };

        HnswIndex cancelled = New();
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p =>
        {
            if (p.Completed >= 300)
            {
                cts.Cancel();
            }
        });
        Assert.ThrowsAny<OperationCanceledException>(() => cancelled.AddRange(keys, rows, progress, cts.Token));
        Assert.Equal((0, 0), (cancelled.Count, cancelled.DeletedCount));
        Assert.Empty(cancelled.GetKeys());
        Assert.Empty(cancelled.Search(rows.AsSpan(0, dim), 5));

        cancelled.AddRange(keys, rows);
        HnswIndex fresh = New();
        fresh.AddRange(keys, rows);
        Assert.Equal(Bytes(fresh), Bytes(cancelled)); // same graph: the level generator was rewound too
    }

    [Theory]
    [InlineData("exact")]
    [InlineData("hnsw")]
    public void AddRangeWithACancelledTokenChangesNothing(string kind)
    {
        const int dim = 8;
        IVectorIndex index = Create(kind, dim);
        index.AddRange(HnswTestData.Keys(200), HnswTestData.Random(34, 200, dim));
        index.Remove(7);
        byte[] before = Bytes(index);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            index.AddRange(HnswTestData.Keys(300, offset: 1000), HnswTestData.Random(35, 300, dim), cancellationToken: cts.Token));
        Assert.Equal(before, Bytes(index));
    }

    [Fact]
    public void ExactAddRangeCancelledWhilePreparingChangesNothing()
    {
        const int dim = 8, n = 20_000;
        var index = new ExactIndex(dim, DistanceMetric.Cosine);
        index.AddRange(HnswTestData.Keys(100, offset: 1_000_000), HnswTestData.Random(36, 100, dim));
        byte[] before = Bytes(index);
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(_ => cts.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() => index.AddRange(HnswTestData.Keys(n), HnswTestData.Random(37, n, dim), progress, cts.Token));
        Assert.NotEmpty(progress.Seen); // cancelled in the middle, not before the start
        Assert.Equal(before, Bytes(index));

        var done = new SyncProgress(_ => { });
        index.AddRange(HnswTestData.Keys(n), HnswTestData.Random(37, n, dim), done);
        Assert.Equal(new IndexProgress(n, n), done.Seen[^1]);
        Assert.All(done.Seen, p => Assert.InRange(p.Completed, 1, n));
    }

    [Fact]
    public void HnswCompactCancelledLeavesTheIndexUntouched_ThenCompactsWithProgress()
    {
        const int dim = 16, n = 3000;
        var (hnsw, exact) = HnswTestData.Build(n, dim, seed: 38, options: new HnswOptions { EfConstruction = 48 });
        long[] keys = HnswTestData.Keys(n);
        for (int i = 0; i < n; i += 3)
        {
            Assert.True(hnsw.Remove(keys[i]));
            Assert.True(exact.Remove(keys[i]));
        }

        byte[] before = Bytes(hnsw);
        using var cts = new CancellationTokenSource();
        var cancelling = new SyncProgress(p =>
        {
            if (p.Completed >= 500)
            {
                cts.Cancel();
            }
        });
        Assert.ThrowsAny<OperationCanceledException>(() => hnsw.Compact(cancelling, cts.Token));
        Assert.NotEmpty(cancelling.Seen);
        Assert.Equal(before, Bytes(hnsw));
        Assert.Equal(1000, hnsw.DeletedCount);

        var progress = new SyncProgress(_ => { });
        hnsw.Compact(progress);
        Assert.Equal(0, hnsw.DeletedCount);
        Assert.Equal(new IndexProgress(2000, 2000), progress.Seen[^1]);
        Assert.True(HnswTestData.Recall(hnsw, exact, HnswTestData.Random(39, 50, dim), 10, new SearchOptions { Ef = 64 }) >= 0.95);
    }

    [Fact]
    public void ExactDeletedCountCountsFreedSlots_CompactPacksThemAndKeepsEveryResult()
    {
        const int dim = 10, n = 5000;
        var index = new ExactIndex(dim, DistanceMetric.SquaredL2, VectorElementType.Float16);
        float[] rows = HnswTestData.Random(40, n, dim);
        long[] keys = HnswTestData.Keys(n);
        index.AddRange(keys, rows);
        for (int i = 0; i < n; i += 2)
        {
            Assert.True(index.Remove(keys[i]));
        }

        Assert.Equal(2500, index.DeletedCount);
        index.Add(-1, rows.AsSpan(0, dim)); // reuses a freed slot
        Assert.Equal(2499, index.DeletedCount);

        float[] queries = HnswTestData.Random(41, 20, dim);
        SearchResult[][] before = index.SearchBatch(queries, 30);
        byte[] saved = Bytes(index);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => index.Compact(cancellationToken: cts.Token));
        Assert.Equal(saved, Bytes(index));

        index.Compact();
        Assert.Equal((0, 2501), (index.DeletedCount, index.Count));
        Assert.Equal(before, index.SearchBatch(queries, 30)); // same rows, same keys: the same results, bit for bit
        var v = new float[dim];
        Assert.True(index.TryGetVector(-1, v));
        Assert.False(index.Contains(keys[0]));
        index.Add(keys[0], rows.AsSpan(0, dim));
        Assert.Equal(2502, index.Count);
    }

    [Theory]
    [InlineData("exact")]
    [InlineData("hnsw")]
    public void SearchBatchReportsProgressAndCanBeCancelled(string kind)
    {
        const int dim = 8, nq = 3000;
        IVectorIndex index = Create(kind, dim);
        index.MaxDegreeOfParallelism = 2;
        index.AddRange(HnswTestData.Keys(500), HnswTestData.Random(42, 500, dim));
        float[] queries = HnswTestData.Random(43, nq, dim);

        var progress = new SyncProgress(_ => { });
        SearchResult[][] all = index.SearchBatch(queries, 5, progress: progress);
        Assert.Equal(nq, all.Length);
        Assert.Equal(new IndexProgress(nq, nq), progress.Seen[^1]);
        Assert.All(progress.Seen, p => Assert.Equal(nq, p.Total));

        using var cts = new CancellationTokenSource();
        var cancelling = new SyncProgress(_ => cts.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() => index.SearchBatch(queries, 5, null, cancelling, cts.Token));
        Assert.DoesNotContain(new IndexProgress(nq, nq), cancelling.Seen);
    }

    [Theory]
    [InlineData("exact")]
    [InlineData("hnsw")]
    public void MaxDegreeOfParallelismIsAMachineSettingNotSaved(string kind)
    {
        IVectorIndex index = Create(kind, 4);
        Assert.Null(index.MaxDegreeOfParallelism);
        index.MaxDegreeOfParallelism = 3;
        Assert.Equal(3, index.MaxDegreeOfParallelism);
        index.MaxDegreeOfParallelism = 0;
        Assert.Null(index.MaxDegreeOfParallelism); // below 1 means every core
        index.MaxDegreeOfParallelism = -2;
        Assert.Null(index.MaxDegreeOfParallelism);

        index.MaxDegreeOfParallelism = 1;
        index.AddRange([1, 2], [1, 0, 0, 0, 0, 1, 0, 0]);
        IVectorIndex loaded = VectorIndex.Load(new MemoryStream(Bytes(index)));
        Assert.Null(loaded.MaxDegreeOfParallelism);
    }
}
