namespace ImageSearch;

/// <summary>One shard of a <see cref="DistributedIndex"/>, as <see cref="DistributedIndex.GetShardStatisticsAsync"/> reports it.</summary>
/// <param name="Shard">The shard number.</param>
/// <param name="Count">Live vectors.</param>
/// <param name="DeletedCount">Removed vectors still holding memory (see <see cref="IReadOnlyVectorIndex.DeletedCount"/>).</param>
/// <param name="MemoryBytes">Approximate bytes of the shard's index in its silo's memory.</param>
/// <param name="SnapshotGeneration">The generation of the latest snapshot (-1 when none was taken yet).</param>
/// <param name="LogBytes">Bytes in the write-ahead log since that snapshot (the current segment, as this activation wrote it).</param>
/// <param name="Silo">The address of the silo the shard is active on.</param>
/// <remarks>Immutable; thread-safe.</remarks>
[GenerateSerializer, Immutable]
public sealed record ShardStatistics(
    [property: Id(0)] int Shard,
    [property: Id(1)] int Count,
    [property: Id(2)] int DeletedCount,
    [property: Id(3)] long MemoryBytes,
    [property: Id(4)] long SnapshotGeneration,
    [property: Id(5)] long LogBytes,
    [property: Id(6)] string Silo);
