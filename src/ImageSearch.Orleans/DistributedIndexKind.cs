namespace ImageSearch;

/// <summary>The index type every shard of a <see cref="DistributedIndex"/> owns.</summary>
public enum DistributedIndexKind
{
    /// <summary>Each shard is an <see cref="ExactIndex"/>: merged results equal one exact index over the same data.</summary>
    Exact = 1,

    /// <summary>Each shard is an <see cref="HnswIndex"/> with the options' <see cref="DistributedIndexOptions.Hnsw"/>.</summary>
    Hnsw = 2,
}
