namespace ImageSearch;

/// <summary>
/// How the shards hosted by a silo behave: when they take snapshots and how many threads a bulk add or batch search
/// uses. A setting of each silo, not recorded in the index (see <see cref="DistributedIndexOptions"/> for that).
/// </summary>
/// <remarks>Immutable; thread-safe.</remarks>
public sealed record ShardHostOptions
{
    /// <summary>How often each active shard checks whether its log has grown past <see cref="SnapshotAfterLogBytes"/>;
    /// default one minute.</summary>
    public TimeSpan SnapshotCheckPeriod { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>A shard whose write-ahead log holds at least this many bytes since its last snapshot takes a new
    /// snapshot (in the background, on its next check) and truncates the log; default 256 MiB. The log is what a
    /// reactivation replays, so this bounds recovery time.</summary>
    public long SnapshotAfterLogBytes { get; init; } = 256L << 20;

    /// <summary>Threads of a shard's bulk add and batch search (<see cref="IVectorIndex.MaxDegreeOfParallelism"/>);
    /// <see langword="null"/> for every core.</summary>
    public int? MaxDegreeOfParallelism { get; init; }
}
