using System.Globalization;

namespace ImageSearch;

/// <summary>
/// One shard: on activation loads the latest snapshot and replays the log segments after it, then starts a new segment.
/// An add is applied to the index, appended to the log and fsynced before it is acknowledged; a remove is logged first.
/// A snapshot (timer, or <see cref="Snapshot"/>) starts a new segment, writes the index atomically under the new
/// generation, then deletes the older segments and snapshots: a crash between any two steps recovers the same state.
/// </summary>
[CollectionAgeLimit(AlwaysActive = true)] // a shard holds its whole index in memory: reloading it on idle would be slow
internal sealed class IndexShardGrain(IShardStorage storage, ShardHostOptions hostOptions) : Grain, IIndexShardGrain
{
    private string _indexName = "";
    private int _shard;
    private IVectorIndex _index = null!;
    private IShardLogAppender? _log;
    private long _generation;
    private long _snapshotGeneration = -1;
    private long _logBytes;

    public static string KeyOf(string index, int shard) => string.Create(CultureInfo.InvariantCulture, $"{index}/{shard}");

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        string key = this.GetPrimaryKeyString();
        int slash = key.LastIndexOf('/');
        _indexName = key[..slash];
        _shard = int.Parse(key.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture);
        IndexManifest manifest = await ManifestStore.ReadAsync(storage, _indexName, cancellationToken)
            ?? throw new InvalidOperationException($"Distributed index '{_indexName}' does not exist.");
        if (_shard >= manifest.ShardCount)
        {
            throw new InvalidOperationException($"Distributed index '{_indexName}' has {manifest.ShardCount} shards; there is no shard {_shard}.");
        }

        var snapshots = new List<long>();
        var logs = new List<long>();
        foreach (string name in await storage.ListAsync(ShardStorageNames.ShardPrefix(_indexName, _shard), cancellationToken))
        {
            if (ShardStorageNames.TryParse(name, out string kind, out long generation))
            {
                (kind == "snapshot" ? snapshots : logs).Add(generation);
            }
        }

        _snapshotGeneration = snapshots.Count == 0 ? -1 : snapshots.Max();
        _index = await LoadSnapshotAsync(manifest, cancellationToken);
        _index.MaxDegreeOfParallelism = hostOptions.MaxDegreeOfParallelism; // the replay's bulk adds use it too
        logs.Sort();
        foreach (long generation in logs.Where(g => g >= _snapshotGeneration))
        {
            string name = ShardStorageNames.Log(_indexName, _shard, generation);
            byte[] bytes = await ReadAllAsync(name, cancellationToken);
            _ = await Task.Run(() => ShardLog.Replay(bytes, generation, _index, name), cancellationToken);
        }

        // New writes go to a new segment: whatever torn tail the last one has stays at its end.
        _generation = Math.Max(_snapshotGeneration, logs.Count == 0 ? -1 : logs[^1]) + 1;
        _log = await StartSegmentAsync(_generation, cancellationToken);
        await DeleteBeforeAsync(_snapshotGeneration, cancellationToken);
        _ = this.RegisterGrainTimer(SnapshotIfDueAsync, new GrainTimerCreationOptions(hostOptions.SnapshotCheckPeriod, hostOptions.SnapshotCheckPeriod));
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_log is not null)
        {
            await _log.DisposeAsync();
            _log = null;
        }
    }

    public async Task AddRange(long[] keys, float[] vectors)
    {
        IShardLogAppender log = Log();
        await Task.Run(() => _index.AddRange(keys, vectors)); // validates: a refused batch changes nothing and logs nothing
        byte[] record = ShardLog.AddRecord(keys, vectors);
        try
        {
            await log.AppendAsync(record, CancellationToken.None);
        }
        catch
        {
            // Not durable, so not acknowledged: take it back out, and let the next activation start from storage.
            foreach (long key in keys)
            {
                _index.Remove(key);
            }

            Fail();
            throw;
        }

        _logBytes += record.Length;
    }

    public async Task<long[]> Remove(long[] keys)
    {
        IShardLogAppender log = Log();
        long[] present = keys.Distinct().Where(_index.Contains).ToArray();
        if (present.Length == 0)
        {
            return [];
        }

        byte[] record = ShardLog.RemoveRecord(present);
        try
        {
            await log.AppendAsync(record, CancellationToken.None); // logged first: replaying a remove of an absent key does nothing
        }
        catch
        {
            Fail();
            throw;
        }

        _logBytes += record.Length;
        foreach (long key in present)
        {
            _index.Remove(key);
        }

        return present;
    }

    public Task<ShardHits> Search(float[] query, ShardQuery options)
    {
        SearchOptions searchOptions = ToSearchOptions(options);
        // The thread pool, not the grain's turn: concurrent searches of one shard run on every core.
        return Task.Run(() =>
        {
            var destination = new SearchResult[options.K];
            int n = _index.Search(query, destination, searchOptions);
            return ShardHits.From(destination.AsSpan(0, n));
        });
    }

    public Task<ShardHits[]> SearchBatch(float[] queries, ShardQuery options)
    {
        SearchOptions searchOptions = ToSearchOptions(options);
        return Task.Run(() => Array.ConvertAll(_index.SearchBatch(queries, options.K, searchOptions), r => ShardHits.From(r)));
    }

    public Task<bool[]> Contains(long[] keys) => Task.FromResult(Array.ConvertAll(keys, _index.Contains));

    public Task<ShardStatistics> GetStatistics()
    {
        long memory = _index is HnswIndex hnsw
            ? hnsw.MemoryBytes
            : ((long)_index.Count + _index.DeletedCount) * ((_index.Dimension * (_index.ElementType == VectorElementType.Float32 ? 4L : 2L)) + 8 + 1 + 24);
        return Task.FromResult(new ShardStatistics(_shard, _index.Count, _index.DeletedCount, memory, _snapshotGeneration, _logBytes,
            RuntimeIdentity));
    }

    public async Task Snapshot()
    {
        IShardLogAppender old = Log();
        long next = _generation + 1;
        IShardLogAppender log = await StartSegmentAsync(next, CancellationToken.None);
        _log = log;
        _generation = next;
        _logBytes = 0;
        await old.DisposeAsync();
        // Snapshot 'next' holds every operation of the segments before 'next'; until it is durable, recovery replays them.
        await Task.Run(() => storage.WriteAtomicAsync(ShardStorageNames.Snapshot(_indexName, _shard, next), _index.Save, CancellationToken.None));
        _snapshotGeneration = next;
        await DeleteBeforeAsync(next, CancellationToken.None);
    }

    public async Task Close()
    {
        if (_log is not null)
        {
            await _log.DisposeAsync();
            _log = null;
        }

        DeactivateOnIdle();
    }

    private Task SnapshotIfDueAsync(CancellationToken cancellationToken)
        => _log is not null && _logBytes >= hostOptions.SnapshotAfterLogBytes ? Snapshot() : Task.CompletedTask;

    private IShardLogAppender Log() => _log ?? throw new InvalidOperationException($"Shard {_shard} of '{_indexName}' is closed (its index is being deleted, or a log write failed).");

    private void Fail()
    {
        _log = null; // refuse further writes here; the next activation recovers from storage
        DeactivateOnIdle();
    }

    private async Task<IShardLogAppender> StartSegmentAsync(long generation, CancellationToken cancellationToken)
    {
        IShardLogAppender log = await storage.CreateAppendAsync(ShardStorageNames.Log(_indexName, _shard, generation), cancellationToken);
        await log.AppendAsync(ShardLog.HeaderRecord(generation), cancellationToken);
        return log;
    }

    private async Task<IVectorIndex> LoadSnapshotAsync(IndexManifest manifest, CancellationToken cancellationToken)
    {
        if (_snapshotGeneration < 0)
        {
            return manifest.CreateIndex();
        }

        string name = ShardStorageNames.Snapshot(_indexName, _shard, _snapshotGeneration);
        byte[] bytes = await ReadAllAsync(name, cancellationToken);
        IVectorIndex index = await Task.Run(() => VectorIndex.Load(new MemoryStream(bytes, writable: false)), cancellationToken);
        bool kindMatches = (index is ExactIndex) == ((DistributedIndexKind)manifest.Kind == DistributedIndexKind.Exact);
        return kindMatches && index.Dimension == manifest.Dimension && (int)index.Metric == manifest.Metric && (int)index.ElementType == manifest.ElementType
            ? index
            : throw new InvalidDataException($"{name} holds a {index.GetType().Name} of dimension {index.Dimension}, {index.Metric}, {index.ElementType}, not what the manifest of '{_indexName}' records.");
    }

    private async Task<byte[]> ReadAllAsync(string name, CancellationToken cancellationToken)
    {
        Stream stream = await storage.OpenReadAsync(name, cancellationToken) ?? throw new InvalidDataException($"{name} was listed but cannot be opened.");
        await using (stream)
        {
            var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken);
            return buffer.ToArray();
        }
    }

    /// <summary>Deletes the segments and snapshots older than <paramref name="generation"/> (left by a crash mid-cleanup, or just replaced).</summary>
    private async Task DeleteBeforeAsync(long generation, CancellationToken cancellationToken)
    {
        foreach (string name in await storage.ListAsync(ShardStorageNames.ShardPrefix(_indexName, _shard), cancellationToken))
        {
            if (ShardStorageNames.TryParse(name, out _, out long g) && g < generation)
            {
                await storage.DeleteAsync(name, cancellationToken);
            }
        }
    }

    private static SearchOptions ToSearchOptions(ShardQuery options)
    {
        HashSet<long>? allowed = options.AllowedKeys is null ? null : [.. options.AllowedKeys];
        return new SearchOptions
        {
            Ef = options.Ef,
            Filter = allowed is null ? null : allowed.Contains,
            ElementWeights = options.ElementWeights,
        };
    }
}
