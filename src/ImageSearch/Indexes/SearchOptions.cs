namespace ImageSearch;

/// <summary>
/// Per-query settings shared by every index type. Immutable, so an instance may be shared between threads, provided
/// <see cref="Filter"/> is itself thread-safe. Threads of batch searches are set on the index
/// (<see cref="IVectorIndex.MaxDegreeOfParallelism"/>).
/// </summary>
public sealed record SearchOptions
{
    /// <summary>
    /// Only keys for which the predicate returns <see langword="true"/> can be returned. <see langword="null"/> (the default)
    /// allows every key. The predicate is called from the searching thread(s), possibly many times per query. It must
    /// not call an <see cref="ExactIndex"/> it is searching (the search holds the index's non-recursive read lock:
    /// <see cref="LockRecursionException"/>, also through a <see cref="MappedIndex"/> of an exact index file); an
    /// <see cref="HnswIndex"/>, or a <see cref="MappedIndex"/> of an HNSW file, may be called.
    /// </summary>
    public Func<long, bool>? Filter { get; init; }

    /// <summary>
    /// Size of the candidate list for approximate indexes (HNSW's <c>ef</c>); larger is slower and more accurate.
    /// <see langword="null"/> uses the index's default. Ignored by exact indexes.
    /// </summary>
    public int? Ef { get; init; }

    /// <summary>
    /// Class weighting: when set, the query and every stored vector are multiplied element-wise by these
    /// index-dimension-long weights before the distance is taken (inside the scan, no second index), so the
    /// search leans toward the class whose classifier weights these are. Must have the index's dimension, finite
    /// elements, not all zero. Supported by <see cref="ExactIndex"/>; approximate indexes answer a weighted query with
    /// an exact weighted scan, since their graph was built for unweighted distances.
    /// </summary>
    public ReadOnlyMemory<float> ElementWeights { get; init; }
}
