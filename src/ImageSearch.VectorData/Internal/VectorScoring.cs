using Microsoft.Extensions.VectorData;

namespace ImageSearch;

/// <summary>
/// The VectorData distance functions and index kinds this store supports, the index metric each one runs on, and the
/// conversion of an index distance (smaller is closer) into the function's score (in the function's own direction).
/// </summary>
internal static class VectorScoring
{
    public const string DefaultDistanceFunction = DistanceFunction.CosineSimilarity;

    public const string DefaultIndexKind = Microsoft.Extensions.VectorData.IndexKind.Hnsw;

    public static readonly string[] DistanceFunctions =
    [
        DistanceFunction.CosineSimilarity, DistanceFunction.CosineDistance, DistanceFunction.DotProductSimilarity,
        DistanceFunction.NegativeDotProductSimilarity, DistanceFunction.EuclideanDistance, DistanceFunction.EuclideanSquaredDistance,
    ];

    public static readonly string[] IndexKinds = [Microsoft.Extensions.VectorData.IndexKind.Hnsw, Microsoft.Extensions.VectorData.IndexKind.Flat];

    public static bool IsSupportedDistance(string? function) => function is null || Array.IndexOf(DistanceFunctions, function) >= 0;

    public static bool IsSupportedIndexKind(string? kind) => kind is null || Array.IndexOf(IndexKinds, kind) >= 0;

    public static DistanceMetric Metric(string function) => function switch
    {
        DistanceFunction.CosineSimilarity or DistanceFunction.CosineDistance => DistanceMetric.Cosine,
        DistanceFunction.DotProductSimilarity or DistanceFunction.NegativeDotProductSimilarity => DistanceMetric.InnerProduct,
        DistanceFunction.EuclideanDistance or DistanceFunction.EuclideanSquaredDistance => DistanceMetric.SquaredL2,
        _ => throw new NotSupportedException($"Distance function '{function}' is not supported."),
    };

    /// <summary>The score of a hit: the index returns <c>1 - cos</c>, <c>1 - dot</c> or the squared L2 distance.</summary>
    public static double Score(string function, float distance) => function switch
    {
        DistanceFunction.CosineSimilarity => 1.0 - distance,
        DistanceFunction.CosineDistance => distance,
        DistanceFunction.DotProductSimilarity => 1.0 - distance,
        DistanceFunction.NegativeDotProductSimilarity => distance - 1.0,
        DistanceFunction.EuclideanDistance => Math.Sqrt(Math.Max(0f, distance)),
        DistanceFunction.EuclideanSquaredDistance => distance,
        _ => throw new NotSupportedException($"Distance function '{function}' is not supported."),
    };

    /// <summary>Whether higher scores are closer for this function (similarities) rather than lower (distances).</summary>
    public static bool HigherIsCloser(string function)
        => function is DistanceFunction.CosineSimilarity or DistanceFunction.DotProductSimilarity;

    public static bool PassesThreshold(string function, double score, double threshold)
        => HigherIsCloser(function) ? score >= threshold : score <= threshold;
}
