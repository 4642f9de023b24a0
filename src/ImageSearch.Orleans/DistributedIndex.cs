using System.Diagnostics;

namespace ImageSearch;

/// <summary>
/// A client of a sharded index kept by Orleans silos (see <see cref="ImageSearchSiloBuilderExtensions.AddImageSearchShards(ISiloBuilder, IShardStorage, ShardHostOptions?)"/>):
/// it looks like one index. Keys go to shards by <see cref="ShardRouting.ShardOf"/>; a search asks every shard for its
/// top k in parallel and merges them, ties broken by key, so with <see cref="DistributedIndexKind.Exact"/> shards the
/// answer equals one <see cref="ExactIndex"/> over the same data, bit for bit.
/// </summary>
/// <remarks>
/// <para><b>Durability.</b> When <see cref="AddRangeAsync"/> or <see cref="AddAsync"/> completes, every vector it added
/// is in its shard's write-ahead log, fsynced (see <see cref="IShardStorage"/>), and survives the loss of the silo that
/// held the shard: the shard reactivates on another silo from its snapshot and log. A search may see an add before it
/// is acknowledged. A failed or cancelled call may have added some of its batches (each batch sent to a shard is
/// atomic); check with <see cref="ContainsAsync"/> before retrying, since adding an existing key is refused.</para>
/// <para><b>Availability.</b> Searches, lookups and counts wait up to <see cref="DistributedIndexClientOptions.ShardTimeout"/>
/// for a shard whose silo is gone, then throw <see cref="ShardUnavailableException"/> (or, with
/// <see cref="DistributedIndexClientOptions.AllowPartialResults"/>, return partial results naming the missing shards).
/// Adds and removes are not retried (they are not idempotent): they fail with Orleans' exception.</para>
/// <para>Thread-safety: every member may be called from several threads at once. Writes to one shard are applied one
/// at a time, in the order the shard receives them; searches run alongside them.</para>
/// </remarks>
public sealed class DistributedIndex
{
    private readonly IIndexShardGrain[] _shards;
    private readonly IndexManifest _manifest;
    private Exception? _lastUnavailable; // the inner exception of the next ShardUnavailableException (any shard's, last seen)

    private DistributedIndex(IGrainFactory grains, string name, IndexManifest manifest, DistributedIndexClientOptions clientOptions)
    {
        Name = name;
        _manifest = manifest;
        Options = manifest.ToOptions();
        ClientOptions = clientOptions;
        _shards = new IIndexShardGrain[manifest.ShardCount];
        for (int s = 0; s < _shards.Length; s++)
        {
            _shards[s] = grains.GetGrain<IIndexShardGrain>(IndexShardGrain.KeyOf(name, s));
        }
    }

    /// <summary>The index's name.</summary>
    public string Name { get; }

    /// <summary>The configuration recorded in the index's manifest.</summary>
    public DistributedIndexOptions Options { get; }

    /// <summary>How this client waits for shards.</summary>
    public DistributedIndexClientOptions ClientOptions { get; }

    /// <summary>The dimension of every vector.</summary>
    public int Dimension => _manifest.Dimension;

    /// <summary>The number of shards.</summary>
    public int ShardCount => _shards.Length;

    /// <summary>Creates a new distributed index.</summary>
    /// <param name="grains">The cluster client (or a grain factory inside a silo).</param>
    /// <param name="name">1 to 100 letters, digits, '-', '_' or '.'.</param>
    /// <param name="options">Shards, dimension, metric, kind; recorded in the manifest.</param>
    /// <param name="clientOptions">How this client waits for shards; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Stops waiting (the index may still be created).</param>
    /// <returns>A client of the new index.</returns>
    /// <exception cref="ArgumentException">A bad name or options.</exception>
    /// <exception cref="InvalidOperationException">An index of that name exists.</exception>
    public static Task<DistributedIndex> CreateAsync(IGrainFactory grains, string name, DistributedIndexOptions options,
        DistributedIndexClientOptions? clientOptions = null, CancellationToken cancellationToken = default)
        => CreateOrOpenCoreAsync(grains, name, options, clientOptions, mustCreate: true, cancellationToken);

    /// <summary>Opens the index of that name when its manifest records <paramref name="options"/>, else creates it.</summary>
    /// <param name="grains">The cluster client (or a grain factory inside a silo).</param>
    /// <param name="name">The index's name.</param>
    /// <param name="options">The configuration it must have.</param>
    /// <param name="clientOptions">How this client waits for shards; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A client of the index.</returns>
    /// <exception cref="ArgumentException">A bad name or options.</exception>
    /// <exception cref="InvalidOperationException">The index exists with another configuration (shard count, dimension,
    /// metric, kind, element type, HNSW options or storage layout); the message names each difference.</exception>
    public static Task<DistributedIndex> CreateOrOpenAsync(IGrainFactory grains, string name, DistributedIndexOptions options,
        DistributedIndexClientOptions? clientOptions = null, CancellationToken cancellationToken = default)
        => CreateOrOpenCoreAsync(grains, name, options, clientOptions, mustCreate: false, cancellationToken);

    /// <summary>Opens an existing index with the configuration its manifest records.</summary>
    /// <param name="grains">The cluster client (or a grain factory inside a silo).</param>
    /// <param name="name">The index's name.</param>
    /// <param name="clientOptions">How this client waits for shards; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A client of the index.</returns>
    /// <exception cref="InvalidOperationException">No index has that name.</exception>
    public static async Task<DistributedIndex> OpenAsync(IGrainFactory grains, string name,
        DistributedIndexClientOptions? clientOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ShardStorageNames.CheckIndexName(name, nameof(name));
        clientOptions ??= new DistributedIndexClientOptions();
        clientOptions.Validate(nameof(clientOptions));
        IndexManifest manifest = await grains.GetGrain<IIndexCatalogGrain>(name).Get().WaitAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Distributed index '{name}' does not exist.");
        return new DistributedIndex(grains, name, manifest, clientOptions);
    }

    private static async Task<DistributedIndex> CreateOrOpenCoreAsync(IGrainFactory grains, string name, DistributedIndexOptions options,
        DistributedIndexClientOptions? clientOptions, bool mustCreate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(options);
        ShardStorageNames.CheckIndexName(name, nameof(name));
        options.Validate(nameof(options));
        clientOptions ??= new DistributedIndexClientOptions();
        clientOptions.Validate(nameof(clientOptions));
        IndexManifest manifest = await grains.GetGrain<IIndexCatalogGrain>(name).CreateOrOpen(IndexManifest.From(options), mustCreate)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return new DistributedIndex(grains, name, manifest, clientOptions);
    }

    /// <summary>Deletes an index: closes its shards (activating those not active, which loads them: a known cost), then
    /// deletes its manifest, snapshots and logs. Other clients must have stopped using it.</summary>
    /// <param name="grains">The cluster client (or a grain factory inside a silo).</param>
    /// <param name="name">The index's name.</param>
    /// <param name="cancellationToken">Stops waiting (the deletion may still finish).</param>
    /// <returns><see langword="false"/> when no index had that name.</returns>
    public static Task<bool> DeleteAsync(IGrainFactory grains, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ShardStorageNames.CheckIndexName(name, nameof(name));
        return grains.GetGrain<IIndexCatalogGrain>(name).Delete().WaitAsync(cancellationToken);
    }

    /// <summary>The shard that owns <paramref name="key"/>.</summary>
    /// <param name="key">Any key.</param>
    /// <returns>A shard number.</returns>
    public int ShardOf(long key) => ShardRouting.ShardOf(key, _shards.Length);

    /// <summary>Adds one vector (see <see cref="AddRangeAsync"/>).</summary>
    /// <param name="key">A key not in the index.</param>
    /// <param name="vector"><see cref="Dimension"/> finite elements.</param>
    /// <param name="cancellationToken">Stops waiting (the add may still happen).</param>
    /// <returns>A task that completes once the add is durable.</returns>
    public Task AddAsync(long key, ReadOnlyMemory<float> vector, CancellationToken cancellationToken = default)
        => AddRangeAsync(new[] { key }, vector, null, cancellationToken);

    /// <summary>
    /// Adds many vectors: grouped by shard and sent to the shards in parallel, in batches of at most
    /// <see cref="DistributedIndexClientOptions.AddBatchSize"/>. Lengths, finiteness and duplicate keys within the call
    /// are checked before anything is sent; each shard checks its own keys (an existing key refuses that batch).
    /// </summary>
    /// <param name="keys">New keys, one per vector.</param>
    /// <param name="vectors">The vectors, row after row.</param>
    /// <param name="progress">Told how many vectors are acknowledged, after each batch; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops sending further batches (those sent may still be added).</param>
    /// <returns>A task that completes once every vector is durable.</returns>
    /// <exception cref="ArgumentException">Lengths differ, an element is not finite, or a key appears twice.</exception>
    public async Task AddRangeAsync(ReadOnlyMemory<long> keys, ReadOnlyMemory<float> vectors,
        IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        int dim = Dimension;
        if ((long)keys.Length * dim != vectors.Length)
        {
            throw new ArgumentException($"Expected {keys.Length} x {dim} = {(long)keys.Length * dim} elements, got {vectors.Length}.", nameof(vectors));
        }

        if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(vectors.Span))
        {
            throw new ArgumentException("The vectors hold a NaN or infinite element.", nameof(vectors));
        }

        var seen = new HashSet<long>(keys.Length);
        foreach (long key in keys.Span)
        {
            if (!seen.Add(key))
            {
                throw new ArgumentException($"Key {key} appears more than once.", nameof(keys));
            }
        }

        // Group rows by shard: one list of row numbers per shard, sent in order.
        var rows = new List<int>[_shards.Length];
        for (int s = 0; s < rows.Length; s++)
        {
            rows[s] = [];
        }

        ReadOnlySpan<long> keySpan = keys.Span;
        for (int i = 0; i < keySpan.Length; i++)
        {
            rows[ShardOf(keySpan[i])].Add(i);
        }

        long done = 0;
        int batchSize = ClientOptions.AddBatchSize;
        async Task SendAsync(int shard)
        {
            List<int> mine = rows[shard];
            for (int start = 0; start < mine.Count; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int n = Math.Min(batchSize, mine.Count - start);
                var batchKeys = new long[n];
                var batchVectors = new float[n * dim];
                for (int j = 0; j < n; j++)
                {
                    int row = mine[start + j];
                    batchKeys[j] = keys.Span[row];
                    vectors.Span.Slice(row * dim, dim).CopyTo(batchVectors.AsSpan(j * dim));
                }

                await _shards[shard].AddRange(batchKeys, batchVectors).WaitAsync(cancellationToken).ConfigureAwait(false);
                progress?.Report(new IndexProgress(Interlocked.Add(ref done, n), keys.Length));
            }
        }

        await Task.WhenAll(Enumerable.Range(0, _shards.Length).Where(s => rows[s].Count > 0).Select(SendAsync)).ConfigureAwait(false);
    }

    /// <summary>Removes a vector; completes once the removal is durable.</summary>
    /// <param name="key">The key to remove.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns><see langword="true"/> when a vector was removed.</returns>
    public async Task<bool> RemoveAsync(long key, CancellationToken cancellationToken = default)
        => (await _shards[ShardOf(key)].Remove([key]).WaitAsync(cancellationToken).ConfigureAwait(false)).Length == 1;

    /// <summary>Removes many vectors, grouped by shard and sent in parallel.</summary>
    /// <param name="keys">The keys to remove.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>How many vectors were removed.</returns>
    public async Task<int> RemoveRangeAsync(IEnumerable<long> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        long[][] byShard = Group(keys);
        long[][] removed = await Task.WhenAll(Enumerable.Range(0, _shards.Length).Where(s => byShard[s].Length > 0)
            .Select(s => _shards[s].Remove(byShard[s]))).WaitAsync(cancellationToken).ConfigureAwait(false);
        return removed.Sum(r => r.Length);
    }

    /// <summary>Whether a live vector has this key (waits for an unavailable shard as a search does).</summary>
    /// <param name="key">The key to look up.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns><see langword="true"/> when present.</returns>
    public async Task<bool> ContainsAsync(long key, CancellationToken cancellationToken = default)
    {
        int shard = ShardOf(key);
        bool[] found = await CallAsync(shard, g => g.Contains([key]), Stopwatch.GetTimestamp(), cancellationToken).ConfigureAwait(false)
            ?? throw Unavailable([shard], null);
        return found[0];
    }

    /// <summary>Which of <paramref name="keys"/> are present, asked of every shard in parallel.</summary>
    /// <param name="keys">The keys to look up.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The keys that are present.</returns>
    public async Task<IReadOnlySet<long>> ContainsManyAsync(IEnumerable<long> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        long[][] byShard = Group(keys);
        long start = Stopwatch.GetTimestamp();
        bool[]?[] answers = await Task.WhenAll(Enumerable.Range(0, _shards.Length)
            .Select(s => byShard[s].Length == 0 ? Task.FromResult<bool[]?>([]) : CallAsync(s, g => g.Contains(byShard[s]), start, cancellationToken))).ConfigureAwait(false);
        ThrowIfMissing(answers);
        var present = new HashSet<long>();
        for (int s = 0; s < answers.Length; s++)
        {
            for (int i = 0; i < byShard[s].Length; i++)
            {
                if (answers[s]![i])
                {
                    _ = present.Add(byShard[s][i]);
                }
            }
        }

        return present;
    }

    /// <summary>The number of live vectors over all shards.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The sum of the shards' counts.</returns>
    public async Task<long> CountAsync(CancellationToken cancellationToken = default)
        => (await GetShardStatisticsAsync(cancellationToken).ConfigureAwait(false)).Sum(s => (long)s.Count);

    /// <summary>Count, memory, snapshot and log of every shard, asked in parallel.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>One entry per shard, in shard order.</returns>
    public async Task<IReadOnlyList<ShardStatistics>> GetShardStatisticsAsync(CancellationToken cancellationToken = default)
    {
        long start = Stopwatch.GetTimestamp();
        ShardStatistics?[] stats = await Task.WhenAll(Enumerable.Range(0, _shards.Length)
            .Select(s => CallAsync(s, g => g.GetStatistics(), start, cancellationToken))).ConfigureAwait(false);
        ThrowIfMissing(stats);
        return stats!;
    }

    /// <summary>Makes every shard take a snapshot now and truncate its log (they also do so in the background, see
    /// <see cref="ShardHostOptions.SnapshotAfterLogBytes"/>).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes once every snapshot is durable.</returns>
    public Task SnapshotAsync(CancellationToken cancellationToken = default)
        => Task.WhenAll(_shards.Select(g => g.Snapshot())).WaitAsync(cancellationToken);

    /// <summary>Finds the <paramref name="k"/> nearest vectors over all shards.</summary>
    /// <param name="query"><see cref="Dimension"/> finite elements.</param>
    /// <param name="k">How many results at most; positive.</param>
    /// <param name="options">Ef, allowed keys, class weights; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The merged results, nearest first, ties by key.</returns>
    /// <exception cref="ArgumentException">Wrong length, a non-finite element, or k below 1.</exception>
    /// <exception cref="ShardUnavailableException">A shard did not answer in time and partial results were not allowed.</exception>
    public async Task<DistributedSearchResult> SearchAsync(ReadOnlyMemory<float> query, int k, DistributedSearchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        CheckQueries(query, k, nameof(query));
        float[] q = query.ToArray();
        (ShardQuery[] perShard, bool[] asked) = Prepare(k, options);
        long start = Stopwatch.GetTimestamp();
        ShardHits?[] hits = await Task.WhenAll(Enumerable.Range(0, _shards.Length)
            .Select(s => asked[s] ? CallAsync(s, g => g.Search(q, perShard[s]), start, cancellationToken) : Task.FromResult<ShardHits?>(ShardHits.Empty)))
            .ConfigureAwait(false);
        int[] missing = ThrowIfMissing(hits, partialAllowed: true);
        return new DistributedSearchResult(Merge(hits, k), missing);
    }

    /// <summary>Searches many queries: each shard gets the whole batch in one call (and spreads it over its silo's cores).</summary>
    /// <param name="queries">The queries, row after row.</param>
    /// <param name="k">How many results per query at most; positive.</param>
    /// <param name="options">Ef, allowed keys, class weights; <see langword="null"/> for defaults.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>One result per query, in query order (all with the same missing shards).</returns>
    /// <exception cref="ArgumentException">Wrong length, a non-finite element, or k below 1.</exception>
    /// <exception cref="ShardUnavailableException">A shard did not answer in time and partial results were not allowed.</exception>
    public async Task<DistributedSearchResult[]> SearchBatchAsync(ReadOnlyMemory<float> queries, int k, DistributedSearchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        CheckQueries(queries, k, nameof(queries));
        float[] q = queries.ToArray();
        int nq = q.Length / Dimension;
        (ShardQuery[] perShard, bool[] asked) = Prepare(k, options);
        long start = Stopwatch.GetTimestamp();
        ShardHits[]?[] hits = await Task.WhenAll(Enumerable.Range(0, _shards.Length)
            .Select(s => asked[s] ? CallAsync(s, g => g.SearchBatch(q, perShard[s]), start, cancellationToken)
                : Task.FromResult<ShardHits[]?>(Enumerable.Repeat(ShardHits.Empty, nq).ToArray())))
            .ConfigureAwait(false);
        int[] missing = ThrowIfMissing(hits, partialAllowed: true);
        var results = new DistributedSearchResult[nq];
        var column = new ShardHits?[_shards.Length];
        for (int i = 0; i < nq; i++)
        {
            for (int s = 0; s < column.Length; s++)
            {
                column[s] = hits[s]?[i];
            }

            results[i] = new DistributedSearchResult(Merge(column, k), missing);
        }

        return results;
    }

    /// <summary>The k best of the shards' lists by (distance, key): the order one index gives.</summary>
    private static SearchResult[] Merge(ShardHits?[] hits, int k)
    {
        var all = new List<SearchResult>();
        foreach (ShardHits? h in hits)
        {
            if (h is not null)
            {
                for (int i = 0; i < h.Keys.Length; i++)
                {
                    all.Add(new SearchResult(h.Keys[i], h.Distances[i]));
                }
            }
        }

        all.Sort();
        return all.Count <= k ? [.. all] : [.. all.GetRange(0, k)];
    }

    private void CheckQueries(ReadOnlyMemory<float> queries, int k, string paramName)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        if (queries.Length == 0 || queries.Length % Dimension != 0)
        {
            throw new ArgumentException($"Queries must be a positive multiple of the dimension {Dimension} elements long, not {queries.Length}.", paramName);
        }

        if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(queries.Span))
        {
            throw new ArgumentException("The query holds a NaN or infinite element.", paramName);
        }
    }

    /// <summary>Each shard's query (its own allowed keys only) and whether to ask it at all.</summary>
    private (ShardQuery[] PerShard, bool[] Asked) Prepare(int k, DistributedSearchOptions? options)
    {
        var baseQuery = new ShardQuery
        {
            K = k,
            Ef = options?.Ef,
            ElementWeights = options is null || options.ElementWeights.IsEmpty ? null : options.ElementWeights.ToArray(),
        };
        var perShard = new ShardQuery[_shards.Length];
        var asked = new bool[_shards.Length];
        long[][]? allowed = options?.AllowedKeys is null ? null : Group(options.AllowedKeys);
        for (int s = 0; s < perShard.Length; s++)
        {
            perShard[s] = allowed is null ? baseQuery : baseQuery with { AllowedKeys = allowed[s] };
            asked[s] = allowed is null || allowed[s].Length > 0;
        }

        return (perShard, asked);
    }

    private long[][] Group(IEnumerable<long> keys)
    {
        var lists = new List<long>[_shards.Length];
        for (int s = 0; s < lists.Length; s++)
        {
            lists[s] = [];
        }

        foreach (long key in keys)
        {
            lists[ShardOf(key)].Add(key);
        }

        return Array.ConvertAll(lists, l => l.ToArray());
    }

    /// <summary>
    /// Calls a shard, retrying while it is unavailable, until <see cref="DistributedIndexClientOptions.ShardTimeout"/>
    /// after <paramref name="start"/>; <see langword="null"/> when it never answered. Errors of the request itself
    /// (a bad argument) are thrown at once.
    /// </summary>
    private async Task<T?> CallAsync<T>(int shard, Func<IIndexShardGrain, Task<T>> call, long start, CancellationToken cancellationToken)
        where T : class
    {
        while (true)
        {
            TimeSpan left = ClientOptions.ShardTimeout - Stopwatch.GetElapsedTime(start);
            if (left <= TimeSpan.Zero)
            {
                return null;
            }

            try
            {
                return await call(_shards[shard]).WaitAsync(left, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsUnavailable(e) && !cancellationToken.IsCancellationRequested)
            {
                _lastUnavailable = e;
                TimeSpan pause = ClientOptions.ShardTimeout - Stopwatch.GetElapsedTime(start);
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause < ClientOptions.RetryDelay ? pause : ClientOptions.RetryDelay, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Failures that mean "the shard's silo is gone or the shard is moving" (Orleans' own exceptions: silo
    /// unavailable, message rejected, connection failed; and time-outs), not "the request is wrong" or "the shard's data is
    /// bad", which come back as the exception the shard threw.</summary>
    private static bool IsUnavailable(Exception e) => e is TimeoutException or OrleansException;

    /// <summary>The shards whose answer is missing; throws unless partial results are allowed (searches only: a count
    /// or a lookup without some shards would be wrong, not partial).</summary>
    private int[] ThrowIfMissing<T>(T?[] answers, bool partialAllowed = false)
        where T : class
    {
        int[] missing = [.. Enumerable.Range(0, answers.Length).Where(s => answers[s] is null)];
        return missing.Length == 0 || (partialAllowed && ClientOptions.AllowPartialResults) ? missing : throw Unavailable(missing, _lastUnavailable);
    }

    private ShardUnavailableException Unavailable(IReadOnlyList<int> shards, Exception? last)
        => new(Name, shards, ClientOptions.ShardTimeout, last);
}
