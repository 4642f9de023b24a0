using ImageSearch.Distances;
using ImageSearch.Indexes;
using ImageSearch.Storage;

namespace ImageSearch.Ann;

internal static class IndexFactory
{
    public static IVectorIndex Build(string kind, int dim, DistanceMetric metric, VectorElementType element, int m, int efc, int threads,
        long[] keys, float[] rows)
    {
        switch (kind)
        {
            case "exact":
                var exact = new ExactIndex(dim, metric, element);
                exact.AddRange(keys, rows);
                return exact;
            default:
                throw new ArgumentException($"Unknown index '{kind}' (exact, hnsw).");
        }
    }
}
