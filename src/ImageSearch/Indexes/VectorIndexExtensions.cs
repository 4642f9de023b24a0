
namespace ImageSearch;

/// <summary>Conveniences every <see cref="IVectorIndex"/> gets: allocating search, and saving to a path atomically.</summary>
public static class VectorIndexExtensions
{
    /// <summary>Finds the <paramref name="k"/> nearest vectors to <paramref name="query"/>, nearest first.</summary>
    /// <param name="index">The index to search.</param>
    /// <param name="query"><see cref="IReadOnlyVectorIndex.Dimension"/> finite elements.</param>
    /// <param name="k">How many results to return at most; must be positive.</param>
    /// <param name="options">Filter and ef; <see langword="null"/> for defaults.</param>
    /// <returns>Up to <paramref name="k"/> results.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is zero or negative.</exception>
    public static SearchResult[] Search(this IReadOnlyVectorIndex index, ReadOnlySpan<float> query, int k, SearchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var buffer = new SearchResult[Math.Min(k, Math.Max(index.Count, 1))];
        int n = index.Search(query, buffer, options);
        return n == buffer.Length ? buffer : buffer.AsSpan(0, n).ToArray();
    }

    /// <summary>
    /// Saves the index to a file atomically: it writes a temporary file beside <paramref name="path"/>, flushes it
    /// to disk, then renames it over <paramref name="path"/>, so a crash never leaves a half-written index. Synchronous
    /// (there is no SaveAsync): the writer lock of the index is held while it is written.
    /// </summary>
    /// <param name="index">The index to save.</param>
    /// <param name="path">The file to create or replace.</param>
    public static void Save(this IVectorIndex index, string path)
    {
        ArgumentNullException.ThrowIfNull(index);
        IndexFile.SaveAtomic(path, index.Save);
    }
}
