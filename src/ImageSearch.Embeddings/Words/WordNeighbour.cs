namespace ImageSearch;

/// <summary>One nearest word: the word, its position in the vocabulary and its distance to the query.</summary>
/// <param name="Word">The word, as stored in the vocabulary.</param>
/// <param name="WordIndex">Its position in <see cref="WordVectors.Words"/> (0 = most frequent for GloVe); not the
/// result's position, which is its index in the returned array.</param>
/// <param name="CosineDistance"><c>1 - cos(query, word)</c>, in [0, 2].</param>
public readonly record struct WordNeighbour(string Word, int WordIndex, float CosineDistance)
{
    /// <summary>The cosine similarity, <c>1 - </c><see cref="CosineDistance"/>, in [-1, 1].</summary>
    public float Cosine => 1f - CosineDistance;

    /// <summary>
    /// The angular distance that Annoy reports, <c>sqrt(2 (1 - cos))</c>: the Euclidean distance between the two
    /// L2-normalised vectors, in [0, 2].
    /// </summary>
    public float AngularDistance => MathF.Sqrt(MathF.Max(0f, 2f * CosineDistance));
}
