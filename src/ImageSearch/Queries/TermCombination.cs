namespace ImageSearch;

/// <summary>How the weighted terms of a <see cref="QueryBuilder"/> are combined into one query vector.</summary>
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
