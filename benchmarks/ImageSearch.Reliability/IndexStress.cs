using System.Diagnostics;

namespace ImageSearch.Reliability;

/// <summary>
/// Many threads on one index: two writers (add batches, remove, compact, save and reload) and readers (single and batch
/// self-queries). Every vector is a function of its key, so readers know every stored vector and check, per result: no
/// duplicate, sorted, the distance is the true distance to that key's vector (no torn row), no key removed before the
/// search began or never added; and the queried key itself is found when it was acknowledged before the search and not
/// removed meanwhile. A miss is a violation for both indexes: for <c>ExactIndex</c> by exactness; for HNSW because the
/// self-query uses ef = 1,024 over at most ~600 slots (live plus tombstones, bounded by compaction), so it visits every
/// node reachable on layer 0 from where it starts, and the graph's layer-0 tree keeps every node reachable from every
/// other one (docs/hnsw.md, "Reachability").
/// </summary>
internal sealed class IndexStress(string name, Func<IVectorIndex> create, int threads, TimeSpan duration, int seed, string work)
{
    public const int Dimension = 16;
    private const int TargetLive = 400, K = 10;
    private readonly KeyLedger _ledger = new();
    private readonly List<long> _live = [];
    private readonly Lock _liveLock = new();
    private long _adds, _removes, _searches, _batchQueries, _compactions, _saves, _selfQueryMisses;
    private readonly ViolationLog _log = new();

    public IReadOnlyList<(string Operation, long Count)> Counts =>
    [
        ("add", Interlocked.Read(ref _adds)), ("remove", Interlocked.Read(ref _removes)), ("search", Interlocked.Read(ref _searches)),
        ("batch search query", Interlocked.Read(ref _batchQueries)), ("compact", Interlocked.Read(ref _compactions)), ("save+load", Interlocked.Read(ref _saves)),
        ("self-query miss", Interlocked.Read(ref _selfQueryMisses)),
    ];

    public long Violations => _log.Count;

    public IEnumerable<string> Messages => _log.Messages;

    public string Name => name;

    public static float[] VectorOf(long key)
    {
        var v = new float[Dimension];
        ulong x = (ulong)key * 0x9E3779B97F4A7C15UL;
        for (int i = 0; i < Dimension; i++)
        {
            x ^= x >> 30; x *= 0xBF58476D1CE4E5B9UL; x ^= x >> 27; x *= 0x94D049BB133111EBUL; x ^= x >> 31;
            v[i] = (float)((x >> 40) / (double)(1UL << 24)) - 0.5f;
        }

        return v;
    }

    public TimeSpan Run()
    {
        IVectorIndex index = create();
        var clock = Stopwatch.StartNew();
        var stop = new CancellationTokenSource(duration);
        _log.RunThreads(Math.Max(3, threads), id => { if (id < 2) Writer(index, id, stop.Token); else Reader(index, id, stop.Token); });

        return clock.Elapsed;
    }



    private void Writer(IVectorIndex index, int id, CancellationToken stop)
    {
        var rng = new Random(HashCode.Combine(seed, id));
        string file = Path.Combine(work, $"{name}-{id}.isindex");
        while (!stop.IsCancellationRequested)
        {
            int live;
            lock (_liveLock)
            {
                live = _live.Count;
            }

            double roll = rng.NextDouble();
            if (roll < 0.002)
            {
                index.Compact();
                Interlocked.Increment(ref _compactions);
            }
            else if (roll < 0.004)
            {
                SaveAndCheck(index, file);
            }
            else if (live < TargetLive || roll < 0.1)
            {
                int n = rng.Next(1, 9);
                long[] keys = Enumerable.Range(0, n).Select(_ => _ledger.NewKey()).ToArray();
                float[] vectors = keys.SelectMany(VectorOf).ToArray();
                foreach (long k in keys) _ledger.Mark(k, KeyLedger.Stamp.AddBegan);
                if (n == 1) index.Add(keys[0], vectors); else index.AddRange(keys, vectors);
                foreach (long k in keys) _ledger.Mark(k, KeyLedger.Stamp.Added);
                lock (_liveLock)
                {
                    _live.AddRange(keys);
                }

                Interlocked.Add(ref _adds, n);
            }
            else
            {
                long key;
                lock (_liveLock)
                {
                    int at = rng.Next(_live.Count);
                    key = _live[at];
                    _live[at] = _live[^1];
                    _live.RemoveAt(_live.Count - 1);
                }

                _ledger.Mark(key, KeyLedger.Stamp.RemoveBegan);
                if (!index.Remove(key)) _log.Report($"Remove({key}) of an added key returned false");
                _ledger.Mark(key, KeyLedger.Stamp.Removed);
                Interlocked.Increment(ref _removes);
            }

            // HNSW keeps tombstones until compaction: compact when they outnumber the live vectors (bounds the slots).
            if (index.DeletedCount > TargetLive / 2)
            {
                index.Compact();
                Interlocked.Increment(ref _compactions);
            }
        }
    }

    private void SaveAndCheck(IVectorIndex index, string file)
    {
        long[] acknowledged;
        lock (_liveLock)
        {
            acknowledged = [.. _live];
        }

        long before = _ledger.Now;
        index.Save(file);
        long after = _ledger.Now;
        IVectorIndex loaded = VectorIndex.Load(file);
        var keys = loaded.GetKeys().ToHashSet();
        var v = new float[Dimension];
        foreach (long key in keys)
        {
            if (_ledger.MustNotBeFound(key, before, after)) _log.Report($"saved file holds key {key}, removed before the save or never added");
            loaded.TryGetVector(key, v);
            if (!Close(v, Prepared(index, VectorOf(key)))) _log.Report($"saved file holds a different vector for key {key}");
        }

        foreach (long key in acknowledged)
        {
            if (_ledger.MustBeFound(key, before, after) && !keys.Contains(key)) _log.Report($"saved file lacks acknowledged key {key}");
        }

        Interlocked.Increment(ref _saves);
    }

    private void Reader(IVectorIndex index, int id, CancellationToken stop)
    {
        var rng = new Random(HashCode.Combine(seed, id));
        var options = new SearchOptions { Ef = 1024 };
        while (!stop.IsCancellationRequested)
        {
            int count = rng.Next(4) == 0 ? rng.Next(2, 9) : 1;
            long[] probe;
            lock (_liveLock)
            {
                if (_live.Count == 0) { continue; }
                probe = Enumerable.Range(0, count).Select(_ => _live[rng.Next(_live.Count)]).ToArray();
            }

            long time = _ledger.Now;
            SearchResult[][] results = count == 1
                ? [index.Search(VectorOf(probe[0]), K, options)]
                : index.SearchBatch(probe.SelectMany(VectorOf).ToArray(), K, options);
            long end = _ledger.Now;
            for (int q = 0; q < count; q++)
            {
                Check(index, probe[q], results[q], time, end);
            }

            if (count == 1) Interlocked.Increment(ref _searches); else Interlocked.Add(ref _batchQueries, count);
        }
    }

    private void Check(IVectorIndex index, long query, SearchResult[] results, long time, long end)
    {
        float[] q = VectorOf(query);
        var seen = new HashSet<long>();
        for (int i = 0; i < results.Length; i++)
        {
            var r = results[i];
            if (!seen.Add(r.Key)) _log.Report($"duplicate key {r.Key} in the results of {query}");
            if (i > 0 && results[i - 1].CompareTo(r) > 0) _log.Report($"results of {query} not sorted at {i}");
            if (_ledger.MustNotBeFound(r.Key, time, end)) _log.Report($"key {r.Key} returned, removed before the search began or never added");
            float truth = Prepared(index, VectorOf(r.Key)).Zip(q).Sum(p => (p.First - p.Second) * (p.First - p.Second));
            if (Math.Abs(truth - r.Distance) > 1e-3f * Math.Max(1f, truth)) _log.Report($"key {r.Key}: distance {r.Distance}, true {truth} (torn vector?)");
        }

        if (_ledger.MustBeFound(query, time, end) && !seen.Contains(query))
        {
            Interlocked.Increment(ref _selfQueryMisses);
            string message = $"{name}: acknowledged key {query} not found by its own vector (results {string.Join(",", results.Select(r => r.Key))}, {index.Count} live, {index.DeletedCount} deleted)";
            var stored = new float[Dimension];
            bool kept = index.Contains(query) && index.TryGetVector(query, stored) && Close(stored, Prepared(index, q));
            _log.Report(message + (kept ? " (stored with its exact vector: the search did not reach it)" : " and not stored either"));
        }
    }

    private static float[] Prepared(IVectorIndex index, float[] v) => index.ElementType == VectorElementType.Float32 ? v : v.Select(x => (float)(Half)x).ToArray();

    private static bool Close(float[] a, float[] b) => a.Zip(b).All(p => Math.Abs(p.First - p.Second) <= 1e-6f);
}
