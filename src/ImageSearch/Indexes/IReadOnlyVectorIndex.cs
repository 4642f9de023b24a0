
namespace ImageSearch;

/// <summary>
/// The reading and searching side of an <see cref="IVectorIndex"/>: what a caller may do with an index it does not own
/// (for example <c>ImageSearchEngine.Index</c>). Every <see cref="IVectorIndex"/> is one.
/// </summary>
/// <remarks>Thread-safety: every member may be called from several threads at once, as on <see cref="IVectorIndex"/>.</remarks>
public interface IReadOnlyVectorIndex
{
    /// <summary>Number of elements in every vector.</summary>
    int Dimension { get; }

    /// <summary>How distances are computed.</summary>
    DistanceMetric Metric { get; }

    /// <summary>How vectors are stored (arithmetic is always in <see cref="float"/>).</summary>
    VectorElementType ElementType { get; }

    /// <summary>Number of live (added and not removed) vectors.</summary>
    int Count { get; }

    /// <summary>
    /// Removed vectors that still occupy memory: tombstones that keep routing searches in <see cref="HnswIndex"/>,
    /// freed slots not yet reused by an add in <see cref="ExactIndex"/>. <see cref="IVectorIndex.Compact"/> brings it to 0; an owner
    /// that removes often can compact when it passes a share of <see cref="Count"/> (e.g. a third).
    /// </summary>
    int DeletedCount { get; }

    /// <summary>Whether a live vector has this key.</summary>
    /// <param name="key">The key to look up.</param>
    /// <returns><see langword="true"/> when present.</returns>
    bool Contains(long key);

    /// <summary>
    /// Copies the stored vector of <paramref name="key"/> into <paramref name="destination"/> (normalised under cosine,
    /// rounded to <see cref="Half"/> precision under <see cref="VectorElementType.Float16"/>).
    /// </summary>
    /// <param name="key">The key to look up.</param>
    /// <param name="destination">At least <see cref="Dimension"/> elements.</param>
    /// <returns><see langword="false"/> when the key is not present.</returns>
    bool TryGetVector(long key, Span<float> destination);

    /// <summary>A snapshot of the live keys, in no particular order.</summary>
    /// <returns>A new array.</returns>
    long[] GetKeys();

    /// <summary>
    /// Finds the nearest vectors to <paramref name="query"/> and writes them, nearest first, into
    /// <paramref name="destination"/>; k is <c>destination.Length</c>. Allocates nothing per call in steady state.
    /// </summary>
    /// <param name="query"><see cref="Dimension"/> finite elements.</param>
    /// <param name="destination">Receives up to its length results.</param>
    /// <param name="options">Filter and ef; <see langword="null"/> for defaults.</param>
    /// <returns>How many results were written (fewer than k when fewer vectors match).</returns>
    /// <exception cref="ArgumentException">Wrong length, NaN or infinity, zero query under cosine, or an empty destination.</exception>
    int Search(ReadOnlySpan<float> query, Span<SearchResult> destination, SearchOptions? options = null);

    /// <summary>
    /// Searches many queries at once, using every core (or <see cref="IVectorIndex.MaxDegreeOfParallelism"/> threads).
    /// </summary>
    /// <param name="queries">The queries, row after row: a multiple of <see cref="Dimension"/> elements.</param>
    /// <param name="k">How many results per query at most; must be positive.</param>
    /// <param name="options">Filter and ef; <see langword="null"/> for defaults.</param>
    /// <param name="progress">Told how many queries are done, about every hundredth; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the batch (throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>One result array per query, in query order.</returns>
    SearchResult[][] SearchBatch(ReadOnlySpan<float> queries, int k, SearchOptions? options = null,
        IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default);
}
