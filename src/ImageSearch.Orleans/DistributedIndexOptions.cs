namespace ImageSearch;

/// <summary>
/// The configuration of a distributed index, fixed when it is created and recorded in its manifest: opening it with a
/// different configuration is refused (<see cref="DistributedIndex.CreateOrOpenAsync"/>).
/// </summary>
/// <remarks>Immutable; thread-safe.</remarks>
public sealed record DistributedIndexOptions
{
    /// <summary>Number of shards (1 to 4096). Fixed for the life of the index: keys are routed by
    /// <see cref="ShardRouting.ShardOf"/> over this count (no rebalancing, see docs/scale-out.md).</summary>
    public int ShardCount { get; init; } = 4;

    /// <summary>Number of elements in every vector; must be set (1 to 65536).</summary>
    public int Dimension { get; init; }

    /// <summary>How distances are computed.</summary>
    public DistanceMetric Metric { get; init; } = DistanceMetric.Cosine;

    /// <summary>What each shard owns.</summary>
    public DistributedIndexKind Kind { get; init; } = DistributedIndexKind.Hnsw;

    /// <summary>How vectors are stored in every shard (for HNSW shards this replaces <see cref="HnswOptions.ElementType"/>):
    /// <see cref="VectorElementType.Float32"/> or <see cref="VectorElementType.Float16"/>. <see cref="VectorElementType.Int8"/>
    /// is refused: each shard would train its own quantiser on its own keys, so results would depend on the shard count.</summary>
    public VectorElementType ElementType { get; init; } = VectorElementType.Float32;

    /// <summary>Graph options of HNSW shards (ignored for exact ones); <see langword="null"/> for the defaults.
    /// Every shard uses the same options, seed included.</summary>
    public HnswOptions? Hnsw { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="paramName"/> when a value is out of range.</summary>
    internal void Validate(string paramName)
    {
        if (ShardCount is < 1 or > 4096)
        {
            throw new ArgumentException($"ShardCount must be between 1 and 4096, not {ShardCount}.", paramName);
        }

        if (Dimension is < 1 or > 65536)
        {
            throw new ArgumentException($"Dimension must be between 1 and 65536, not {Dimension}.", paramName);
        }

        if (!Enum.IsDefined(Metric) || !Enum.IsDefined(Kind) || !Enum.IsDefined(ElementType))
        {
            throw new ArgumentException($"Unknown metric ({Metric}), kind ({Kind}) or element type ({ElementType}).", paramName);
        }

        if (ElementType == VectorElementType.Int8)
        {
            throw new ArgumentException("ElementType Int8 is not supported by distributed indexes yet: each shard would train its own quantiser, so results would depend on the shard count. Use Float32 or Float16.", paramName);
        }

        if (Kind == DistributedIndexKind.Hnsw)
        {
            try
            {
                _ = new HnswIndex(1, DistanceMetric.SquaredL2, EffectiveHnsw);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Invalid Hnsw options: {e.Message}", paramName, e);
            }
        }
    }

    /// <summary>The HNSW options every shard gets: <see cref="Hnsw"/> (or the defaults) with <see cref="ElementType"/>.</summary>
    internal HnswOptions EffectiveHnsw => (Hnsw ?? new HnswOptions()) with { ElementType = ElementType };
}
