namespace ImageSearch;

/// <summary>
/// How an index compares vectors. Every distance an index returns is "smaller is closer".
/// </summary>
public enum DistanceMetric
{
    /// <summary>
    /// Cosine distance, <c>1 - cos(q, v)</c>, in [0, 2]. Vectors are L2-normalised when added and when queried,
    /// so stored vectors read back normalised. A zero vector has no direction and is rejected.
    /// </summary>
    Cosine = 1,

    /// <summary>
    /// Inner-product distance, <c>1 - dot(q, v)</c> (as hnswlib's <c>ip</c> space): the largest dot product is the
    /// closest. Vectors are stored as given. Not a true metric; may be negative.
    /// </summary>
    InnerProduct = 2,

    /// <summary>Squared Euclidean distance, <c>sum((q_i - v_i)^2)</c>, in [0, +inf).</summary>
    SquaredL2 = 3,
}
