namespace ImageSearch;

/// <summary>Per-search settings of a <see cref="DistributedIndex"/> search: what <see cref="SearchOptions"/> holds, in a
/// form that can be sent to the shards (a key list instead of a predicate).</summary>
/// <remarks>Immutable; thread-safe.</remarks>
public sealed record DistributedSearchOptions
{
    /// <summary>HNSW's candidate list size in every shard; <see langword="null"/> for the index's default. Ignored by exact shards.</summary>
    public int? Ef { get; init; }

    /// <summary>When set, only these keys can be returned (each shard is sent only its own keys, and a shard with none is
    /// not asked). <see langword="null"/> (the default) allows every key.</summary>
    public IReadOnlyCollection<long>? AllowedKeys { get; init; }

    /// <summary>Class weighting, as <see cref="SearchOptions.ElementWeights"/>; empty for none.</summary>
    public ReadOnlyMemory<float> ElementWeights { get; init; }
}
