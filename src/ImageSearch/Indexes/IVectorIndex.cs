
namespace ImageSearch;

/// <summary>
/// A searchable set of fixed-dimension vectors, each under a unique <see cref="long"/> key. Implemented by
/// <see cref="ExactIndex"/> (brute force, exact) and <see cref="HnswIndex"/> (approximate graph search).
/// </summary>
/// <remarks>
/// <para>Distances follow <see cref="Metric"/>; smaller is closer. Results are ordered by distance, ties by key.</para>
/// <para>Input is validated before anything changes: a wrong dimension, a NaN or infinite element, a zero vector
/// under <see cref="DistanceMetric.Cosine"/> or a duplicate key throws an <see cref="ArgumentException"/> naming the
/// argument, and leaves the index as it was.</para>
/// <para>Thread-safety: every member may be called from several threads at once. Searches run concurrently with
/// each other; each implementation documents how searches interleave with adds and removes.</para>
/// <para>Long operations (<see cref="AddRange"/>, <see cref="SearchBatch"/>, <see cref="Compact"/>) take an
/// <see cref="IProgress{T}"/> of <see cref="IndexProgress"/>, reported from worker threads, and a
/// <see cref="CancellationToken"/>; they use up to <see cref="MaxDegreeOfParallelism"/> threads.</para>
/// <para>Indexes are saved in one checksummed file format (see <c>docs/file-format.md</c>) and opened with
/// <see cref="VectorIndex.Load(string)"/>, whatever their type.</para>
/// </remarks>
public interface IVectorIndex
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
    /// freed slots not yet reused by an add in <see cref="ExactIndex"/>. <see cref="Compact"/> brings it to 0; an owner
    /// that removes often can compact when it passes a share of <see cref="Count"/> (e.g. a third).
    /// </summary>
    int DeletedCount { get; }

    /// <summary>
    /// Most threads <see cref="AddRange"/>, <see cref="SearchBatch"/> and <see cref="Compact"/> may use;
    /// <see langword="null"/> (the default) or a value below 1 means every core (read back as <see langword="null"/>).
    /// A setting of the machine the index runs on, deliberately not saved in the index file: a loaded index starts
    /// with <see langword="null"/>. Single-vector adds and single-query searches run on the calling thread.
    /// </summary>
    int? MaxDegreeOfParallelism { get; set; }

    /// <summary>
    /// Adds one vector under a new key.
    /// </summary>
    /// <param name="key">Any <see cref="long"/> not already in the index.</param>
    /// <param name="vector">Exactly <see cref="Dimension"/> finite elements; copied, not kept.</param>
    /// <exception cref="ArgumentException">The key is already present (remove it first to replace a vector), or the
    /// vector has the wrong length, a NaN or infinite element, or is zero under cosine.</exception>
    void Add(long key, ReadOnlySpan<float> vector);

    /// <summary>
    /// Adds many vectors at once. All of them are validated first: if any is invalid, or any key is duplicated
    /// (in the index or within <paramref name="keys"/>), nothing is added. A cancelled call adds nothing either: the
    /// keys, <see cref="Count"/> and search results are as before (see each implementation for memory it may keep).
    /// </summary>
    /// <param name="keys">One new key per vector.</param>
    /// <param name="vectors">The vectors, row after row: <c>keys.Length * Dimension</c> elements.</param>
    /// <param name="progress">Told how many vectors are done, about every hundredth; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the add (throws <see cref="OperationCanceledException"/>).</param>
    /// <exception cref="ArgumentException">See <see cref="Add(long, ReadOnlySpan{float})"/>.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; nothing was added.</exception>
    void AddRange(ReadOnlySpan<long> keys, ReadOnlySpan<float> vectors, IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Removes a vector. Returns <see langword="false"/> when the key is not present.</summary>
    /// <param name="key">The key to remove.</param>
    /// <returns><see langword="true"/> when a vector was removed.</returns>
    bool Remove(long key);

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
    /// Searches many queries at once, using every core (or <see cref="MaxDegreeOfParallelism"/> threads).
    /// </summary>
    /// <param name="queries">The queries, row after row: a multiple of <see cref="Dimension"/> elements.</param>
    /// <param name="k">How many results per query at most; must be positive.</param>
    /// <param name="options">Filter and ef; <see langword="null"/> for defaults.</param>
    /// <param name="progress">Told how many queries are done, about every hundredth; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the batch (throws <see cref="OperationCanceledException"/>).</param>
    /// <returns>One result array per query, in query order.</returns>
    SearchResult[][] SearchBatch(ReadOnlySpan<float> queries, int k, SearchOptions? options = null,
        IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases the memory of removed vectors (see <see cref="DeletedCount"/>): <see cref="HnswIndex"/> rebuilds its
    /// graph from the live vectors (about the cost of building it again), <see cref="ExactIndex"/> packs its rows.
    /// Keys, vectors and exact results are unchanged. A cancelled compaction leaves the index untouched.
    /// </summary>
    /// <param name="progress">Told how many live vectors are done, about every hundredth; may be <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the compaction (throws <see cref="OperationCanceledException"/>).</param>
    /// <exception cref="OperationCanceledException">The token was cancelled; the index is as it was.</exception>
    void Compact(IProgress<IndexProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Writes the index to a stream in the ImageSearch index file format.</summary>
    /// <param name="stream">A writable stream; left open.</param>
    void Save(Stream stream);
}
