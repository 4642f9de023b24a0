namespace ImageSearch;

/// <summary>
/// How several vectors become one: the weighted terms of a <see cref="QueryBuilder"/>, and the words of a phrase
/// (<c>WordVectors.Compose</c>, <c>WordEmbedder</c>, the engine's word search in ImageSearch.Embeddings).
/// </summary>
public enum TermCombination
{
    /// <summary>Word arithmetic: <c>sum(w_i * v_i)</c>, e.g. king - man + woman.</summary>
    Sum = 0,

    /// <summary>
    /// Weighted mean: <c>sum(w_i * v_i) / sum(|w_i|)</c>, e.g. the average of the word vectors of "cat sofa".
    /// Under cosine distance this ranks exactly as <see cref="Sum"/> does; it differs under inner product and L2.
    /// </summary>
    Average = 1,
}
