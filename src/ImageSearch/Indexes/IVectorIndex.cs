
namespace ImageSearch;

/// <summary>
/// A searchable set of fixed-dimension vectors, each under a unique <see cref="long"/> key. Implemented by
/// <see cref="ExactIndex"/> (brute force, exact) and <see cref="HnswIndex"/> (approximate graph search).
/// </summary>
/// <remarks>
/// <para>Distances follow <see cref="IReadOnlyVectorIndex.Metric"/>; smaller is closer. Results are ordered by distance, ties by key.</para>
/// <para>Input is validated before anything changes: a wrong dimension, a NaN or infinite element, a zero vector
/// under <see cref="DistanceMetric.Cosine"/> or a duplicate key throws an <see cref="ArgumentException"/> naming the
/// argument, and leaves the index as it was.</para>
/// <para>The searching and reading members are those of <see cref="IReadOnlyVectorIndex"/>, the view to hand out
/// where callers should not change the index.</para>
/// <para>Thread-safety: every member may be called from several threads at once. Searches run concurrently with
/// each other; each implementation documents how searches interleave with adds and removes.</para>
/// <para>Long operations (<see cref="AddRange"/>, <see cref="IReadOnlyVectorIndex.SearchBatch"/>, <see cref="Compact"/>) take an
/// <see cref="IProgress{T}"/> of <see cref="IndexProgress"/>, reported from worker threads, and a
/// <see cref="CancellationToken"/>; they use up to <see cref="MaxDegreeOfParallelism"/> threads.</para>
/// <para>Indexes are saved in one checksummed file format (see <c>docs/file-format.md</c>) and opened with
/// <see cref="VectorIndex.Load(string)"/>, whatever their type.</para>
/// </remarks>
public interface IVectorIndex : IReadOnlyVectorIndex
{
    /// <summary>
    /// Most threads <see cref="AddRange"/>, <see cref="IReadOnlyVectorIndex.SearchBatch"/> and <see cref="Compact"/> may use;
    /// <see langword="null"/> (the default) or a value below 1 means every core (read back as <see langword="null"/>).
    /// A setting of the machine the index runs on, deliberately not saved in the index file: a loaded index starts
    /// with <see langword="null"/>. Single-vector adds and single-query searches run on the calling thread.
    /// </summary>
    int? MaxDegreeOfParallelism { get; set; }

    /// <summary>
    /// Adds one vector under a new key.
    /// </summary>
    /// <param name="key">Any <see cref="long"/> not already in the index.</param>
    /// <param name="vector">Exactly <see cref="IReadOnlyVectorIndex.Dimension"/> finite elements; copied, not kept.</param>
    /// <exception cref="ArgumentException">The key is already present (remove it first to replace a vector), or the
    /// vector has the wrong length, a NaN or infinite element, or is zero under cosine.</exception>
    void Add(long key, ReadOnlySpan<float> vector);

    /// <summary>
    /// Adds many vectors at once. All of them are validated first: if any is invalid, or any key is duplicated
    /// (in the index or within <paramref name="keys"/>), nothing is added. A cancelled call adds nothing either: the
    /// keys, <see cref="IReadOnlyVectorIndex.Count"/> and search results are as before (see each implementation for memory it may keep).
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

    /// <summary>
    /// Releases the memory of removed vectors (see <see cref="IReadOnlyVectorIndex.DeletedCount"/>): <see cref="HnswIndex"/> rebuilds its
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
