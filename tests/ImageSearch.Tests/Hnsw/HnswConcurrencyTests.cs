
namespace ImageSearch.Tests.Hnsw;

public class HnswConcurrencyTests
{
    [Fact]
    public async Task SearchesRunWhileBulkAndSingleAddsAndRemovesAreInFlight()
    {
        const int dim = 24, n = 8_000;
        float[] rows = HnswTestData.Random(21, n, dim);
        long[] keys = HnswTestData.Keys(n);
        var hnsw = new HnswIndex(dim, DistanceMetric.Cosine, new HnswOptions { EfConstruction = 48 });
        hnsw.AddRange(keys.AsSpan(0, 1000), rows.AsSpan(0, 1000 * dim));
        var known = new HashSet<long>(keys);
        float[] queries = HnswTestData.Random(22, 64, dim);
        using var stop = new CancellationTokenSource();
        int searches = 0;
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();

        // Two searchers hammer the index (single and batch, with and without a filter) while a writer adds in bulk,
        // adds one by one and removes.
        // Readers on their own threads (LongRunning): spinning on pool threads, they kept both cores busy and the pool
        // never got a thread for AddRange's Parallel.For, so the test hung (seen in CI on 2 cores).
        Task[] readers = Enumerable.Range(0, 2).Select(t => Task.Factory.StartNew(() =>
        {
            var dest = new SearchResult[10];
            int i = 0;
            while (!stop.IsCancellationRequested)
            {
                ReadOnlySpan<float> q = queries.AsSpan((i++ % 64) * dim, dim);
                var opts = (i % 3) switch
                {
                    0 => new SearchOptions { Ef = 32 },
                    1 => new SearchOptions { Ef = 32, Filter = k => (k & 1) == 0 },
                    _ => null,
                };
                int found = hnsw.Search(q, dest, opts);
                SearchResult[] r = dest.AsSpan(0, found).ToArray();
                HnswTestData.AssertValid(r);
                foreach (SearchResult x in r)
                {
                    if (!known.Contains(x.Key) || (opts?.Filter is { } f && !f(x.Key)))
                    {
                        errors.Enqueue($"unexpected key {x.Key}");
                    }
                }

                if (t == 1 && i % 50 == 0)
                {
                    foreach (SearchResult[] b in hnsw.SearchBatch(queries.AsSpan(0, 4 * dim), 5))
                    {
                        HnswTestData.AssertValid(b);
                    }
                }

                Interlocked.Increment(ref searches);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();

        try
        {
            hnsw.AddRange(keys.AsSpan(1000, 6000), rows.AsSpan(1000 * dim, 6000 * dim));
            for (int i = 7_000; i < n; i++)
            {
                hnsw.Add(keys[i], rows.AsSpan(i * dim, dim));
                if (i % 4 == 0)
                {
                    Assert.True(hnsw.Remove(keys[i - 5000]));
                }
            }
        }
        finally
        {
            stop.Cancel(); // also when the writer fails: the readers must stop, or the failure becomes a hang
        }

        await Task.WhenAll(readers); // rethrows any assertion failure of the readers
        Assert.Empty(errors);
        Assert.True(searches > 0);
        Assert.Equal(n - 250, hnsw.Count);

        var exact = new ExactIndex(dim, DistanceMetric.Cosine);
        exact.AddRange(keys, rows);
        for (int i = 7_000; i < n; i += 4)
        {
            exact.Remove(keys[i - 5000]);
        }

        double recall = HnswTestData.Recall(hnsw, exact, HnswTestData.Random(23, 100, dim), 10, new SearchOptions { Ef = 128 });
        Assert.True(recall >= 0.95, $"recall@10 {recall:F3} after concurrent adds");
    }

    [Fact]
    public void ParallelBuildMatchesRecallOfSerialBuild()
    {
        const int dim = 32, n = 5000;
        var (parallel, exact) = HnswTestData.Build(n, dim, seed: 31, threads: 4, options: new HnswOptions { EfConstruction = 64 });
        var (serial, _) = HnswTestData.Build(n, dim, seed: 31, threads: 1, options: new HnswOptions { EfConstruction = 64 });
        float[] queries = HnswTestData.Random(32, 100, dim);
        var opts = new SearchOptions { Ef = 64 };
        double p = HnswTestData.Recall(parallel, exact, queries, 10, opts);
        double s = HnswTestData.Recall(serial, exact, queries, 10, opts);
        Assert.True(p >= s - 0.02, $"parallel {p:F3} vs serial {s:F3}");
        Assert.True(p >= 0.95, $"parallel recall@10 {p:F3}");
    }

    [Fact]
    public async Task SearchesRunWhileCompactSwapsTheGraph()
    {
        const int dim = 16, n = 3000;
        float[] rows = HnswTestData.Random(51, n, dim);
        long[] keys = HnswTestData.Keys(n);
        var hnsw = new HnswIndex(dim, DistanceMetric.SquaredL2, new HnswOptions { EfConstruction = 40 });
        hnsw.AddRange(keys, rows);
        var removed = new HashSet<long>();
        for (int i = 0; i < n; i += 3)
        {
            hnsw.Remove(keys[i]);
            removed.Add(keys[i]);
        }

        using var stop = new CancellationTokenSource();
        Task reader = Task.Factory.StartNew(() => // its own thread: see SearchesRunWhileBulkAndSingleAddsAndRemovesAreInFlight
        {
            var dest = new SearchResult[10];
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                int found = hnsw.Search(rows.AsSpan((i % n) * dim, dim), dest);
                Assert.Equal(10, found);
                for (int j = 0; j < found; j++)
                {
                    Assert.DoesNotContain(dest[j].Key, removed);
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        try
        {
            hnsw.Compact();
        }
        finally
        {
            stop.Cancel(); // also when Compact fails: the reader must stop, or the failure becomes a hang
        }

        await reader;
        Assert.Equal(0, hnsw.DeletedCount);
        Assert.Equal(n - removed.Count, hnsw.Count);
        Assert.Equal(keys[1], hnsw.Search(rows.AsSpan(1 * dim, dim), 1)[0].Key);
    }
}
