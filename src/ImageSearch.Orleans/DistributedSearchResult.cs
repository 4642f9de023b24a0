namespace ImageSearch;

/// <summary>The answer of a <see cref="DistributedIndex"/> search: the merged top k, and the shards that did not answer.</summary>
/// <param name="Results">Nearest first, ties by key (as <see cref="SearchResult.CompareTo"/>).</param>
/// <param name="MissingShards">The shards that did not answer in time; empty unless
/// <see cref="DistributedIndexClientOptions.AllowPartialResults"/> is set. When not empty, <paramref name="Results"/>
/// holds only what the other shards found.</param>
/// <remarks>Immutable once made; thread-safe to read.</remarks>
public sealed record DistributedSearchResult(IReadOnlyList<SearchResult> Results, IReadOnlyList<int> MissingShards)
{
    /// <summary>Whether some shards did not answer (see <see cref="MissingShards"/>).</summary>
    public bool IsPartial => MissingShards.Count > 0;
}
