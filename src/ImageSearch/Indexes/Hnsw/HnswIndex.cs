using System.Buffers;

namespace ImageSearch;

/// <summary>
/// Approximate nearest-neighbour search with a hierarchical navigable small world graph (Malkov and Yashunin, 2018),
/// in the manner of hnswlib: layer 0 keeps up to 2M links per vector, upper layers M, levels drawn with multiplier
/// 1/ln M, neighbours chosen with the diversity heuristic. See <c>docs/hnsw.md</c>.
/// </summary>
/// <remarks>
/// <para><b>Thread-safety.</b> Every member is thread-safe. Searches take no lock and may run at any time, also while
/// <see cref="Add"/>, <see cref="AddRange"/> or <see cref="Remove"/> are in
/// flight (hnswlib forbids this). A search running concurrently with adds sees every vector whose add completed before
/// the search started, may or may not see vectors being added meanwhile, and never sees a half-written vector, a
/// key that was not added, or a key removed before it started. Adds, removes, <see cref="Compact"/> and saves are serialised with each other by a writer
/// lock; a bulk add parallelises internally with per-node locks. A search concurrent with <see cref="Compact"/> runs
/// on the graph it started on.</para>
/// <para><b>Removing</b> leaves a tombstone: the vector keeps routing searches but is never returned. Slots are not
/// reused by adds; <see cref="DeletedCount"/> counts the tombstones and <see cref="Compact"/> rebuilds the graph without
/// them (call it after removing a large share, e.g. a third, of the vectors).</para>
/// <para><b>Cancelling</b> <see cref="AddRange"/> leaves the keys, <see cref="Count"/> and results as before. When the
/// index was empty it is empty again; otherwise the vectors already linked when the cancellation was seen stay in the
/// graph as tombstones (they count in <see cref="DeletedCount"/> until <see cref="Compact"/>), as if added and removed.</para>
/// <para><b>Filters</b> (<see cref="SearchOptions.Filter"/>) are applied during the traversal: rejected vectors route
/// but never enter the results, and the search continues until it has ef allowed results. When the filter admits fewer
/// than <see cref="HnswOptions.ExactFilterThreshold"/> of the vectors (estimated on 256 slots spread evenly over the
/// index), or when the traversal computes more distances than a quarter of the index without filling its list, the
/// search answers with an exact scan of the allowed vectors instead.</para>
/// <para><b>Class weighting</b> (<see cref="SearchOptions.ElementWeights"/>) is answered with an exact weighted scan,
/// because the graph was built for unweighted distances.</para>
/// <para><b>NaN</b>: vectors and queries with NaN or infinite elements are rejected with
/// <see cref="ArgumentException"/>; the index never holds them.</para>
/// </remarks>
public sealed partial class HnswIndex : IVectorIndex
{
    private const int SampleSize = 256;

    private readonly object _writeLock = new();
    private readonly object _keyLock = new();
    private readonly HnswOptions _options;
    private volatile HnswGraph _graph;
    private int _ef;
    private int _maxThreads; // 0 = every core

    /// <summary>Creates an empty index.</summary>
    /// <param name="dimension">Number of elements in every vector; positive.</param>
    /// <param name="metric">How vectors are compared.</param>
    /// <param name="options">Graph parameters; <see langword="null"/> for the defaults (M 16, efConstruction 200, ef 64).</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension that is not positive or is above 1,048,576, an unknown metric, or an option out of range
    /// (the exception names the option).</exception>
    public HnswIndex(int dimension, DistanceMetric metric = DistanceMetric.Cosine, HnswOptions? options = null)
    {
        options ??= new HnswOptions();
        options.Validate();
        _options = options;
        var store = new VectorStore(dimension, metric, options.ElementType, options.KeepFloat32Rows);
        double ml = options.LevelMultiplier ?? 1.0 / Math.Log(options.M);
        _graph = new HnswGraph(store, options.M, options.EfConstruction, ml, (ulong)(uint)options.Seed * 0x9E3779B97F4A7C15UL);
        _ef = options.Ef;
    }

    private HnswIndex(HnswGraph graph, HnswOptions options, int ef)
    {
        _graph = graph;
        _options = options;
        _ef = ef;
    }

    /// <inheritdoc/>
    public int Dimension => _graph.Store.Dimension;

    /// <inheritdoc/>
    public DistanceMetric Metric => _graph.Store.Metric;

    /// <inheritdoc/>
    public VectorElementType ElementType => _graph.Store.ElementType;

    /// <inheritdoc/>
    public int Count => _graph.Store.LiveCount;

    /// <summary>Whether f32 rows are kept beside <see cref="VectorElementType.Int8"/> rows (<see cref="HnswOptions.KeepFloat32Rows"/>).</summary>
    public bool KeepFloat32Rows => _graph.Store.KeepFloat32Rows;

    /// <summary>Links per node on the upper layers (layer 0 keeps twice as many).</summary>
    public int M => _graph.M;

    /// <summary>Candidate list size used while linking new vectors.</summary>
    public int EfConstruction => _graph.EfConstruction;

    /// <summary>
    /// The default candidate list size of searches that do not set <see cref="SearchOptions.Ef"/>; saved with the index.
    /// May be changed at any time (searches already running keep the value they started with).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int Ef
    {
        get => Volatile.Read(ref _ef);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            Volatile.Write(ref _ef, value);
        }
    }

    /// <inheritdoc/>
    /// <remarks>Here: removed vectors that still take part in routing (tombstones).</remarks>
    public int DeletedCount => Volatile.Read(ref _graph.Tombstones);

    /// <inheritdoc/>
    /// <remarks>With 1, <see cref="AddRange"/> is reproducible: the same seed and input give the same graph.</remarks>
    public int? MaxDegreeOfParallelism
    {
        get => Volatile.Read(ref _maxThreads) is > 0 and int p ? p : null;
        set => Volatile.Write(ref _maxThreads, value is > 0 and int p ? p : 0);
    }

    private int Threads => Volatile.Read(ref _maxThreads) is > 0 and int p ? p : Environment.ProcessorCount;

    /// <summary>The current graph (tests check its invariants).</summary>
    internal HnswGraph Graph => _graph;

    /// <summary>
    /// Approximate bytes held by the index: vectors, keys and flags, links, and the key map. Divide by
    /// <see cref="Count"/> for bytes per vector.
    /// </summary>
    public long MemoryBytes
    {
        get
        {
            HnswGraph g = _graph;
            VectorStore s = g.Store;
            long rowsBytes = (long)s.PageCount * s.RowsPerPage * (s.BytesPerVector + 8L + 1);
            long keyMap = (long)s.LiveCount * 24; // Dictionary<long,int>: entry (16) + bucket (4), rounded up
            return rowsBytes + g.LinkBytes() + keyMap;
        }
    }

    /// <inheritdoc/>
    public void Add(long key, ReadOnlySpan<float> vector) => AddCore([key], vector, nameof(vector), null, default);

    /// <inheritdoc/>
    /// <remarks>Links the vectors on up to <see cref="MaxDegreeOfParallelism"/> threads; searches may run meanwhile.
    /// Cancellation is checked between vectors; see the class remarks for what a cancelled call leaves.</remarks>
    public void AddRange(ReadOnlySpan<long> keys, ReadOnlySpan<float> vectors, IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default)
        => AddCore(keys, vectors, nameof(vectors), progress, cancellationToken);

    private void AddCore(ReadOnlySpan<long> keys, ReadOnlySpan<float> vectors, string vectorsName, IProgress<IndexProgress>? progress, CancellationToken cancellationToken)
    {
        // Validate and prepare everything before touching the index, so a bad row leaves it unchanged.
        float[] prepared = _graph.Store.PrepareRows(keys, vectors, vectorsName, cancellationToken: cancellationToken);
        if (keys.IsEmpty)
        {
            return;
        }

        long[] keyArray = keys.ToArray();
        lock (_writeLock)
        {
            HnswGraph g = _graph;
            lock (_keyLock)
            {
                g.Store.CheckNewKeys(keyArray, keys.Length == 1 ? "key" : "keys");
            }

            if ((long)g.Store.AllocatedCount + keyArray.Length > int.MaxValue)
            {
                throw new ArgumentException("The index cannot hold that many vectors (2^31-1 slots).", nameof(keys));
            }

            cancellationToken.ThrowIfCancellationRequested();
            g.Store.EnsureQuantizer(prepared); // Int8: the first rows added train the quantiser (see VectorElementType.Int8)
            int first = g.Store.AllocatedCount;
            ulong rng = g.RngState;
            var counter = ProgressCounter.Create(progress, keyArray.Length);
            int done = InsertAll(g, keyArray, prepared, keyArray.Length == 1 ? 1 : Threads, counter, cancellationToken);
            if (done < keyArray.Length)
            {
                UndoInsert(g, keyArray, first, done, rng);
                throw new OperationCanceledException(cancellationToken);
            }

            counter?.Complete();
        }
    }

    /// <summary>
    /// Takes back a cancelled insertion (writer lock held): the linked vectors become tombstones (links to them cannot
    /// be taken back cheaply), the unlinked slots are released, and the level generator is rewound. An index that was
    /// empty is simply replaced by an empty graph.
    /// </summary>
    private void UndoInsert(HnswGraph g, long[] keys, int first, int linked, ulong rng)
    {
        if (first == 0)
        {
            VectorStore s = g.Store;
            var empty = new HnswGraph(s.CreateEmptyLike(keepQuantizer: false), g.M, g.EfConstruction, g.LevelMultiplier, rng);
            lock (_keyLock)
            {
                _graph = empty;
            }

            return;
        }

        lock (_keyLock)
        {
            for (int i = 0; i < linked; i++)
            {
                g.Store.UnmapKey(keys[i], out _);
                g.Store.MarkDeleted(first + i);
                Interlocked.Increment(ref g.Tombstones);
            }
        }

        g.Store.Truncate(first + linked);
        g.SetRngState(rng);
    }

    /// <summary>
    /// Appends rows and links them (writer lock held). Levels are drawn in input order, so they are reproducible.
    /// Stops early when <paramref name="cancellationToken"/> is cancelled; returns how many vectors were linked, always
    /// the first ones of the input (each worker finishes the vector it took).
    /// </summary>
    private int InsertAll(HnswGraph g, long[] keys, float[] prepared, int threads, ProgressCounter? counter, CancellationToken cancellationToken)
    {
        VectorStore store = g.Store;
        int n = keys.Length, dim = store.Dimension;
        int first = store.AllocatedCount;
        if (!g.TreeKnown)
        {
            SearchContext treeContext = SearchContext.Rent();
            g.EnsureTree(treeContext); // a loaded graph: its layer-0 tree is rebuilt once, before linking anything to it
            SearchContext.Return(treeContext);
        }

        g.EnsureCapacity(first + n);
        for (int i = 0; i < n; i++)
        {
            store.AllocateSlot();
        }

        var levels = new byte[n];
        for (int i = 0; i < n; i++)
        {
            levels[i] = (byte)g.NextLevel();
        }

        // Slots become visible to scans now; scans skip slots whose level is not yet written.
        store.Publish();

        void InsertOne(int i, SearchContext context)
        {
            int slot = first + i;
            store.SetRow(slot, keys[i], prepared.AsSpan(i * dim, dim));
            g.PrepareNode(slot, levels[i]);
            g.Insert(slot, context);
            lock (_keyLock)
            {
                store.MapKey(keys[i], slot);
            }

            counter?.Add(1);
        }

        int next = 0;
        if (threads <= 1 || n < 64)
        {
            SearchContext context = SearchContext.Rent();
            for (; next < n && !cancellationToken.IsCancellationRequested; next++)
            {
                InsertOne(next, context);
            }

            SearchContext.Return(context);
            return next;
        }

        if (g.Entry.Slot < 0 && !cancellationToken.IsCancellationRequested)
        {
            SearchContext context = SearchContext.Rent();
            InsertOne(next++, context);
            SearchContext.Return(context);
        }

        // Each worker takes the next vector in input order, so the build grows the graph roughly as a serial one would.
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
        {
            SearchContext context = SearchContext.Rent();
            int i;
            while (!cancellationToken.IsCancellationRequested && (i = Interlocked.Increment(ref next) - 1) < n)
            {
                InsertOne(i, context);
            }

            SearchContext.Return(context);
        });
        return Math.Min(next, n);
    }

    /// <inheritdoc/>
    /// <remarks>The vector becomes a tombstone: it still routes searches but is never returned.</remarks>
    public bool Remove(long key)
    {
        lock (_writeLock)
        {
            HnswGraph g = _graph;
            int slot;
            lock (_keyLock)
            {
                if (!g.Store.UnmapKey(key, out slot))
                {
                    return false;
                }
            }

            g.Store.MarkDeleted(slot);
            Interlocked.Increment(ref g.Tombstones);
            return true;
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Rebuilds the graph from the live vectors only, dropping tombstones and their memory, on up to
    /// <see cref="MaxDegreeOfParallelism"/> threads. Costs about as much as building the index again. The new graph is
    /// built aside: searches keep running on the old one until it is swapped in (adds and removes wait), and a
    /// cancelled compaction simply drops it.
    /// </remarks>
    public void Compact(IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        lock (_writeLock)
        {
            HnswGraph old = _graph;
            VectorStore s = old.Store;
            int slots = s.SlotCount, live = s.LiveCount, dim = s.Dimension;
            var keys = new long[live];
            float[] rows = GC.AllocateUninitializedArray<float>(live * dim);
            int n = 0;
            for (int slot = 0; slot < slots; slot++)
            {
                if ((slot & 4095) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                if (!s.IsDeleted(slot))
                {
                    keys[n] = s.GetKey(slot);
                    s.CopyRow(slot, rows.AsSpan(n * dim, dim));
                    n++;
                }
            }

            VectorStore store = s.CreateEmptyLike();
            var g = new HnswGraph(store, old.M, old.EfConstruction, old.LevelMultiplier, old.RngState);
            var counter = ProgressCounter.Create(progress, live);
            if (InsertAll(g, keys, rows, Threads, counter, cancellationToken) < live)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            lock (_keyLock)
            {
                _graph = g;
            }

            counter?.Complete();
        }
    }

    /// <inheritdoc/>
    public bool Contains(long key)
    {
        lock (_keyLock)
        {
            return _graph.Store.ContainsKey(key);
        }
    }

    /// <inheritdoc/>
    public bool TryGetVector(long key, Span<float> destination)
    {
        if (destination.Length < Dimension)
        {
            throw new ArgumentException($"The destination needs at least {Dimension} elements, it has {destination.Length}.", nameof(destination));
        }

        lock (_keyLock)
        {
            VectorStore s = _graph.Store;
            if (!s.TryGetSlot(key, out int slot))
            {
                return false;
            }

            s.CopyRow(slot, destination);
            return true;
        }
    }

    /// <inheritdoc/>
    public long[] GetKeys()
    {
        lock (_keyLock)
        {
            return _graph.Store.GetKeys();
        }
    }

    // ------------------------------------------------------------------ search

    /// <inheritdoc/>
    /// <remarks>Runs on the calling thread without locks; see the class remarks for filters, weights and concurrency.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="SearchOptions.Ef"/> is set and not positive.</exception>
    public int Search(ReadOnlySpan<float> query, Span<SearchResult> destination, SearchOptions? options = null)
    {
        if (destination.IsEmpty)
        {
            throw new ArgumentException("The destination must hold at least one result (k must be positive).", nameof(destination));
        }

        int ef = ResolveEf(options);
        HnswGraph g = _graph;
        SearchContext context = SearchContext.Rent();
        try
        {
            context.EnsureDimension(g.Dimension);
            Span<float> q = context.Query.AsSpan(0, g.Dimension);
            g.Store.Prepare(query, q, nameof(query));
            return SearchPrepared(g, q, destination, ef, options, context);
        }
        finally
        {
            SearchContext.Return(context);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> or <see cref="SearchOptions.Ef"/> is not positive.</exception>
    public SearchResult[][] SearchBatch(ReadOnlySpan<float> queries, int k, SearchOptions? options = null,
        IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        int ef = ResolveEf(options);
        HnswGraph g = _graph;
        int dim = g.Dimension;
        float[] prepared = g.Store.PrepareQueries(queries, nameof(queries));
        int nq = queries.Length / dim;

        if (nq > 0 && options is not null && !options.ElementWeights.IsEmpty)
        {
            // Validate the weights once, on the caller's thread, before any work.
            ClassWeighting.Create(options, prepared.AsSpan(0, dim), g.Store.Metric, dim);
        }

        var results = new SearchResult[nq][];
        int kk = Math.Max(1, Math.Min(k, g.Store.LiveCount));
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Threads, CancellationToken = cancellationToken };
        var counter = ProgressCounter.Create(progress, nq);
        Parallel.For(0, nq, parallel, () => SearchContext.Rent(), (i, _, context) =>
        {
            var buffer = new SearchResult[kk];
            int n = SearchPrepared(g, prepared.AsSpan(i * dim, dim), buffer, ef, options, context);
            results[i] = n == kk ? buffer : buffer.AsSpan(0, n).ToArray();
            counter?.Add(1);
            return context;
        }, SearchContext.Return);
        counter?.Complete();
        return results;
    }

    private int ResolveEf(SearchOptions? options)
    {
        if (options?.Ef is int ef)
        {
            if (ef <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(options), ef, "SearchOptions.Ef must be positive.");
            }

            return ef;
        }

        return Ef;
    }

    /// <summary>Searches with a prepared query (the query may live in the context's own buffer).</summary>
    private int SearchPrepared(HnswGraph g, ReadOnlySpan<float> q, Span<SearchResult> destination, int ef, SearchOptions? options, SearchContext context)
    {
        if (options is not null && !options.ElementWeights.IsEmpty)
        {
            return WeightedScan(g, q, options, destination);
        }

        Func<long, bool>? filter = options?.Filter;
        (int entry, int top) = g.Entry;
        if (entry < 0)
        {
            return 0;
        }

        if (filter is not null && EstimateAllowedFraction(g, filter) < _options.ExactFilterThreshold)
        {
            return ExactScan(g, q, filter, destination);
        }

        int k = destination.Length;
        ef = Math.Max(ef, k);

        // Int8: the graph is traversed on the 8-bit codes through the per-query weights (under squared L2 that needs the
        // rows' norms, kept with the f32 rows only); with f32 rows, the ef results are then re-ranked on f32.
        bool rerank = g.Store.KeepFloat32Rows;
        ReadOnlySpan<float> t = q;
        if (g.Store.ElementType == VectorElementType.Int8 && (rerank || g.Store.Metric != DistanceMetric.SquaredL2))
        {
            g.PrepareTraversalQuery(q, context.Traversal);
            t = context.Traversal.AsSpan(0, HnswGraph.TraversalQueryLength(g.Dimension));
        }

        float entryDistance = g.DistanceTo(t, entry);
        for (int layer = top; layer > 0; layer--)
        {
            g.GreedyClosest(t, layer, ref entry, ref entryDistance);
        }

        int budget = filter is null ? int.MaxValue : Math.Max(4096, g.Store.SlotCount / 4);
        if (!g.SearchLayer(t, entry, entryDistance, ef, 0, filter, context, budget, forConstruction: false))
        {
            return ExactScan(g, q, filter, destination);
        }

        if (rerank)
        {
            // The results' order does not matter here: every result is scored again, its row and key prefetched ahead.
            ReadOnlySpan<Candidate> results = context.Results.AsSpan(0, context.ResultCount);
            Span<float> exact = context.EnsureRerank(results.Length);
            g.RerankDistances(q, results, exact);
            int found = 0;
            for (int i = 0; i < results.Length; i++)
            {
                TopK.Push(destination, ref found, g.Store.GetKey(results[i].Slot), exact[i]);
            }

            context.ResultCount = 0;

            TopK.SortAscending(destination, found);
            return found;
        }

        int n = Math.Min(k, context.DrainResultsAscending());
        VectorStore store = g.Store;
        for (int i = 0; i < n; i++)
        {
            Candidate c = context.Sorted[i];
            destination[i] = new SearchResult(store.GetKey(c.Slot), c.Distance);
        }

        // The heap orders by distance only; the contract breaks ties by key.
        SortTies(destination[..n]);
        return n;
    }

    private static void SortTies(Span<SearchResult> results)
    {
        for (int i = 1; i < results.Length; i++)
        {
            SearchResult x = results[i];
            int j = i - 1;
            while (j >= 0 && results[j].CompareTo(x) > 0)
            {
                results[j + 1] = results[j];
                j--;
            }

            results[j + 1] = x;
        }
    }

    /// <summary>Share of live vectors the filter admits, on up to 256 slots spread evenly (deterministic, no allocation).</summary>
    private static double EstimateAllowedFraction(HnswGraph g, Func<long, bool> filter)
    {
        VectorStore s = g.Store;
        int slots = s.SlotCount;
        if (slots == 0)
        {
            return 0;
        }

        int step = Math.Max(1, slots / SampleSize);
        int live = 0, allowed = 0;
        for (int slot = step / 2; slot < slots; slot += step)
        {
            if (g.LevelOf(slot) < 0 || s.IsDeleted(slot))
            {
                continue;
            }

            live++;
            if (filter(s.GetKey(slot)))
            {
                allowed++;
            }
        }

        return live == 0 ? 0 : (double)allowed / live;
    }

    /// <summary>Exact search over the allowed, live, inserted vectors (the fallback for selective filters).</summary>
    private static int ExactScan(HnswGraph g, ReadOnlySpan<float> q, Func<long, bool>? filter, Span<SearchResult> destination)
    {
        VectorStore s = g.Store;
        int slots = s.SlotCount, count = 0;
        for (int slot = 0; slot < slots; slot++)
        {
            if (g.LevelOf(slot) < 0 || s.IsDeleted(slot))
            {
                continue;
            }

            long key = s.GetKey(slot);
            if (filter is not null && !filter(key))
            {
                continue;
            }

            float d = s.Distance(q, slot);
            if (d <= TopK.Bound(destination, count))
            {
                TopK.Push(destination, ref count, key, d);
            }
        }

        TopK.SortAscending(destination, count);
        return count;
    }

    /// <summary>Exact class-weighted scan (the graph was built for unweighted distances), as <see cref="ExactIndex"/> does.</summary>
    private static int WeightedScan(HnswGraph g, ReadOnlySpan<float> q, SearchOptions options, Span<SearchResult> destination)
    {
        VectorStore s = g.Store;
        int dim = s.Dimension;
        ClassWeighting weighting = ClassWeighting.Create(options, q, s.Metric, dim)!;
        Func<long, bool>? filter = options.Filter;
        int rowsPerPage = s.RowsPerPage, slots = s.SlotCount, count = 0;
        float[] scratch = ArrayPool<float>.Shared.Rent(2 * rowsPerPage);
        try
        {
            for (int start = 0, p = 0; start < slots; start += rowsPerPage, p++)
            {
                int rows = Math.Min(rowsPerPage, slots - start);
                Span<float> distances = scratch.AsSpan(0, rows);
                weighting.Scan(s.GetPage(p), rows, dim, distances, scratch.AsSpan(rowsPerPage, rows), s.Quantizer);
                for (int i = 0; i < rows; i++)
                {
                    int slot = start + i;
                    float d = distances[i];
                    if (float.IsNaN(d) || d > TopK.Bound(destination, count) || g.LevelOf(slot) < 0 || s.IsDeleted(slot))
                    {
                        continue;
                    }

                    long key = s.GetKey(slot);
                    if (filter is null || filter(key))
                    {
                        TopK.Push(destination, ref count, key, d);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }

        TopK.SortAscending(destination, count);
        return count;
    }
}
