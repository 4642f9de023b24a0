namespace ImageSearch;

/// <summary>
/// Restrictions for a nearest-word search. All set restrictions apply together. Immutable once built; may be shared
/// between threads.
/// </summary>
public sealed record NearestWordsOptions
{
    /// <summary>
    /// Only the <c>N</c> most frequent words (ranks below <c>N</c>) can be returned; <see langword="null"/> (default)
    /// allows the whole vocabulary. Must be positive. Rare GloVe words are often noise, so 50,000 or so is a common choice.
    /// </summary>
    public int? MostFrequent { get; init; }

    /// <summary>
    /// Only these words can be returned (each looked up as by <see cref="WordVectors.IndexOf(string)"/>);
    /// <see langword="null"/> (default) allows every word. An unknown candidate makes the search throw an
    /// <see cref="UnknownWordException"/> naming it.
    /// </summary>
    public IReadOnlyCollection<string>? Candidates { get; init; }

    /// <summary>Words never returned (unknown ones are ignored); <see langword="null"/> for none.</summary>
    public IReadOnlyCollection<string>? Exclude { get; init; }

    /// <summary>
    /// When searching by word, whether the query word itself may be returned. <see langword="false"/> (default)
    /// leaves it out, as analogy and similarity lists usually do.
    /// </summary>
    public bool IncludeQueryWord { get; init; }

    /// <summary>Candidate-list size for an approximate index (HNSW's ef); ignored by the default exact index.</summary>
    public int? Ef { get; init; }
}
