namespace ImageSearch;

/// <summary>How a <see cref="DistributedIndex"/> client waits for shards and sends batches; a setting of the client,
/// not of the index.</summary>
/// <remarks>Immutable; thread-safe.</remarks>
public sealed record DistributedIndexClientOptions
{
    /// <summary>
    /// How long a search, count or lookup waits for a shard that cannot answer (its silo died and it is being reactivated
    /// elsewhere): the call is retried until this much time has passed since the operation started. Default 30 seconds,
    /// which covers Orleans' default failure detection; lower it together with the cluster's membership timeouts.
    /// </summary>
    public TimeSpan ShardTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause between two tries of an unavailable shard; default 200 ms.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// When <see langword="false"/> (the default), a search with a shard still unavailable after <see cref="ShardTimeout"/>
    /// throws <see cref="ShardUnavailableException"/>. When <see langword="true"/>, it returns what the other shards found,
    /// with the missing shards named in <see cref="DistributedSearchResult.MissingShards"/>. Counts, statistics and
    /// lookups always throw: without some shards they would be wrong, not partial.
    /// </summary>
    public bool AllowPartialResults { get; init; }

    /// <summary>Most vectors sent to one shard in one call by <see cref="DistributedIndex.AddRangeAsync"/>; default 4096.</summary>
    public int AddBatchSize { get; init; } = 4096;

    internal void Validate(string paramName)
    {
        if (ShardTimeout <= TimeSpan.Zero || RetryDelay < TimeSpan.Zero || AddBatchSize < 1)
        {
            throw new ArgumentException($"ShardTimeout must be positive, RetryDelay not negative and AddBatchSize at least 1 (got {ShardTimeout}, {RetryDelay}, {AddBatchSize}).", paramName);
        }
    }
}
