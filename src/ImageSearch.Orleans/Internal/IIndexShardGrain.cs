using Orleans.Concurrency;

namespace ImageSearch;

/// <summary>
/// One shard of a distributed index (key <c>"{index}/{shard}"</c>): owns one index, its snapshot and write-ahead log.
/// Writes are not reentrant (one at a time, in log order); reads interleave with them, since both index types allow
/// searches while a write is in flight.
/// </summary>
internal interface IIndexShardGrain : IGrainWithStringKey
{
    /// <summary>Adds a batch; completes once it is in the index and its log record is durable.</summary>
    Task AddRange(long[] keys, float[] vectors);

    /// <summary>Removes the keys present; returns those removed, once the removal is durable.</summary>
    Task<long[]> Remove(long[] keys);

    [AlwaysInterleave]
    Task<ShardHits> Search(float[] query, ShardQuery options);

    [AlwaysInterleave]
    Task<ShardHits[]> SearchBatch(float[] queries, ShardQuery options);

    [AlwaysInterleave]
    Task<bool[]> Contains(long[] keys);

    [AlwaysInterleave]
    Task<ShardStatistics> GetStatistics();

    /// <summary>Takes a snapshot now and truncates the log.</summary>
    Task Snapshot();

    /// <summary>Closes the log and deactivates (before the index is deleted).</summary>
    Task Close();
}

/// <summary>The manifest of one distributed index (key: the index name): create, read, delete, one call at a time.</summary>
internal interface IIndexCatalogGrain : IGrainWithStringKey
{
    Task<IndexManifest?> Get();

    /// <summary>Creates the index with <paramref name="asked"/>, or returns the stored manifest when it is the same;
    /// throws <see cref="InvalidOperationException"/> naming the differences otherwise, or when <paramref name="mustCreate"/>
    /// and the index exists.</summary>
    Task<IndexManifest> CreateOrOpen(IndexManifest asked, bool mustCreate);

    Task<bool> Delete();
}
