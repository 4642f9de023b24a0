namespace ImageSearch;

/// <summary>One hit of a search: the key the vector was added with, and its distance to the query.</summary>
/// <param name="Key">The key given to <see cref="IVectorIndex.Add(long, ReadOnlySpan{float})"/>.</param>
/// <param name="Distance">The distance under the index's metric; smaller is closer (see <see cref="DistanceMetric"/>).</param>
public readonly record struct SearchResult(long Key, float Distance) : IComparable<SearchResult>
{
    /// <summary>Orders by distance, then by key, so that ties come out in a stable, documented order.</summary>
    /// <param name="other">The result to compare with.</param>
    /// <returns>Negative when this result ranks before <paramref name="other"/>.</returns>
    public int CompareTo(SearchResult other)
    {
        int c = Distance.CompareTo(other.Distance);
        return c != 0 ? c : Key.CompareTo(other.Key);
    }
}
